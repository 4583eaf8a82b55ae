using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace OtelGen.Context;

/// <summary>
/// W3C Baggage header parsing and formatting, with the spec's limits: at most 180 list members and
/// 8192 bytes in all. Members over a limit, or malformed, are dropped, counted in
/// <see cref="DroppedEntries"/> and reported once on stderr with the reason.
/// </summary>
public static class BaggageHeader
{
    /// <summary>The most list members a baggage header carries.</summary>
    public const int MaxMembers = 180;
    /// <summary>The most bytes a baggage header carries.</summary>
    public const int MaxBytes = 8192;

    private static long s_dropped;

    /// <summary>Entries dropped so far for breaking a limit or the grammar.</summary>
    public static long DroppedEntries => Interlocked.Read(ref s_dropped);

    /// <summary>Parses a <c>baggage</c> header; properties after <c>;</c> are not kept. Never throws.</summary>
    public static Baggage Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return Baggage.Empty;
        }
        var entries = new List<KeyValuePair<string, string>>();
        int bytes = 0;
        foreach (string raw in header!.Split(','))
        {
            string member = raw.Trim(' ', '\t');
            if (member.Length == 0)
            {
                continue;
            }
            int semicolon = member.IndexOf(';');
            string pair = semicolon >= 0 ? member.Substring(0, semicolon) : member;
            int eq = pair.IndexOf('=');
            string name = eq > 0 ? pair.Substring(0, eq).Trim(' ', '\t') : string.Empty;
            if (eq <= 0 || !IsToken(name))
            {
                Drop("a baggage member is malformed");
                continue;
            }
            string value;
            try
            {
                value = Uri.UnescapeDataString(pair.Substring(eq + 1).Trim(' ', '\t'));
            }
            catch (UriFormatException)
            {
                Drop("a baggage value is not valid percent-encoding");
                continue;
            }
            int size = Encoding.UTF8.GetByteCount(member) + (entries.Count > 0 ? 1 : 0);
            if (entries.Count == MaxMembers || bytes + size > MaxBytes)
            {
                Drop($"baggage is over the W3C limits ({MaxMembers} members, {MaxBytes} bytes)");
                continue;
            }
            bytes += size;
            entries.Add(new KeyValuePair<string, string>(name, value));
        }
        return Baggage.From(entries);
    }

    /// <summary>Formats baggage as a header value, percent-encoding values; members past the limits are dropped and counted.</summary>
    public static string? Format(Baggage baggage)
    {
        if (baggage.Count == 0)
        {
            return null;
        }
        var sb = new StringBuilder();
        int members = 0;
        foreach (KeyValuePair<string, string> entry in baggage.Entries)
        {
            string member = entry.Key + "=" + Uri.EscapeDataString(entry.Value);
            int size = Encoding.UTF8.GetByteCount(member) + (members > 0 ? 1 : 0);
            if (!IsToken(entry.Key) || members == MaxMembers || sb.Length + size > MaxBytes)
            {
                Drop($"baggage is over the W3C limits ({MaxMembers} members, {MaxBytes} bytes) or has an invalid name");
                continue;
            }
            if (members > 0)
            {
                sb.Append(',');
            }
            sb.Append(member);
            members++;
        }
        return members == 0 ? null : sb.ToString();
    }

    /// <summary>True when <paramref name="name"/> is an RFC 7230 token, as baggage names must be.</summary>
    public static bool IsToken(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }
        foreach (char c in name)
        {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".IndexOf(c) >= 0;
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    internal static void Drop(string reason)
    {
        Interlocked.Increment(ref s_dropped);
        OtelGen.Configuration.Diagnostics.Warn(reason + "; the entry was dropped (see BaggageHeader.DroppedEntries).");
    }
}
