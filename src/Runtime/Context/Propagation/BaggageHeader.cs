using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace OtelGen.Context;

/// <summary>
/// W3C Baggage (Candidate Recommendation, <c>baggage</c> HTTP header format) parsing and formatting.
/// Members keep their properties (<c>key=value;p1=v1;p2</c>); values and property values are
/// percent-decoded on parse and percent-encoded on format. A member that breaks the grammar is dropped
/// and the rest are kept. Limits: any number of members up to <see cref="MaxBytes"/> bytes of
/// <c>baggage-string</c>; whole members that would not fit are dropped, never cut. Every drop is counted in
/// <see cref="DroppedEntries"/> and its reason reported once on stderr. Never throws.
/// </summary>
public static class BaggageHeader
{
    /// <summary>
    /// The most bytes of <c>baggage-string</c> kept and sent: the spec's 8192-byte limit (it requires
    /// everything up to 64 members and 8192 bytes be propagated; there is no member count limit here).
    /// </summary>
    public const int MaxBytes = 8192;

    private static long s_dropped;

    /// <summary>Entries dropped so far for breaking a limit or the grammar.</summary>
    public static long DroppedEntries => Interlocked.Read(ref s_dropped);

    /// <summary>
    /// Parses a <c>baggage</c> header (several headers joined with <c>,</c> are one header). Malformed
    /// members are dropped, the valid ones kept with their properties. Never throws.
    /// </summary>
    public static Baggage Parse(string? header)
    {
        if (header is null || header.Length == 0)
        {
            return Baggage.Empty;
        }
        var members = new List<(string Name, string Value, KeyValuePair<string, string?>[]? Properties)>();
        int start = 0;
        while (start <= header.Length)
        {
            int comma = header.IndexOf(',', start);
            int end = comma < 0 ? header.Length : comma;
            ReadOnlySpan<char> member = Trim(header.AsSpan(start, end - start));
            // RFC 7230 7: empty list elements are ignored.
            if (member.Length > 0)
            {
                if (TryParseMember(member, out string? name, out string? value, out var properties, out string? reason))
                {
                    members.Add((name!, value!, properties));
                }
                else
                {
                    Drop(reason!);
                }
            }
            start = end + 1;
        }
        Baggage parsed = Baggage.FromMembers(members);
        return ApplyLimits(parsed);
    }

    /// <summary>
    /// Formats baggage as a <c>baggage</c> header value, properties included; values and property values
    /// are percent-encoded. Members with a key that is not a token, or that would take the header past
    /// <see cref="MaxBytes"/>, are dropped and counted. Null when nothing is left.
    /// </summary>
    public static string? Format(Baggage baggage)
    {
        if (baggage.Count == 0)
        {
            return null;
        }
        var sb = new StringBuilder();
        int members = 0;
        for (int i = 0; i < baggage.Count; i++)
        {
            KeyValuePair<string, string> entry = baggage.Entries[i];
            KeyValuePair<string, string?>[] properties = baggage.PropertiesAt(i);
            if (!HasTokenKeys(entry.Key, properties))
            {
                Drop("a baggage name or property name is not a token");
                continue;
            }
            int size = MemberLength(entry.Key, entry.Value, properties) + (members > 0 ? 1 : 0);
            if (sb.Length + size > MaxBytes)
            {
                Drop($"baggage is over the W3C limit of {MaxBytes} bytes");
                continue;
            }
            if (members > 0)
            {
                sb.Append(',');
            }
            AppendMember(sb, entry.Key, entry.Value, properties);
            members++;
        }
        return members == 0 ? null : sb.ToString();
    }

    /// <summary>True when <paramref name="name"/> is an RFC 7230 token, as baggage names must be.</summary>
    public static bool IsToken(string name) => IsToken(name.AsSpan());

    internal static void Drop(string reason)
    {
        Interlocked.Increment(ref s_dropped);
        OtelGen.Configuration.Diagnostics.Warn(reason + "; the entry was dropped (see BaggageHeader.DroppedEntries).");
    }

    // list-member = key OWS "=" OWS value *( OWS ";" OWS property )
    private static bool TryParseMember(ReadOnlySpan<char> member, out string? name, out string? value,
        out KeyValuePair<string, string?>[]? properties, out string? reason)
    {
        name = value = null;
        properties = null;
        int semicolon = member.IndexOf(';');
        ReadOnlySpan<char> pair = semicolon < 0 ? member : member.Slice(0, semicolon);
        if (!TryParsePair(pair, out name, out value, out reason))
        {
            return false;
        }
        if (semicolon < 0)
        {
            return true;
        }
        var list = new List<KeyValuePair<string, string?>>();
        ReadOnlySpan<char> rest = member.Slice(semicolon + 1);
        while (true)
        {
            int next = rest.IndexOf(';');
            ReadOnlySpan<char> property = Trim(next < 0 ? rest : rest.Slice(0, next));
            if (property.IndexOf('=') >= 0)
            {
                // property = key OWS "=" OWS value
                if (!TryParsePair(property, out string? key, out string? propertyValue, out reason))
                {
                    return false;
                }
                list.Add(new KeyValuePair<string, string?>(key!, propertyValue));
            }
            else if (IsToken(property))
            {
                // property =/ key OWS: kept as written (a key is a token; it is not percent-decoded).
                list.Add(new KeyValuePair<string, string?>(property.ToString(), null));
            }
            else
            {
                reason = "a baggage property is not a token";
                return false;
            }
            if (next < 0)
            {
                break;
            }
            rest = rest.Slice(next + 1);
        }
        properties = list.ToArray();
        return true;
    }

    // key OWS "=" OWS value, with the value percent-decoded.
    private static bool TryParsePair(ReadOnlySpan<char> text, out string? key, out string? value, out string? reason)
    {
        key = value = null;
        int eq = text.IndexOf('=');
        ReadOnlySpan<char> name = eq < 0 ? default : Trim(text.Slice(0, eq));
        if (eq < 0 || !IsToken(name))
        {
            reason = "a baggage member or property has no token key and '='";
            return false;
        }
        ReadOnlySpan<char> raw = Trim(text.Slice(eq + 1));
        foreach (char c in raw)
        {
            if (!IsBaggageOctet(c))
            {
                reason = "a baggage value has a character outside baggage-octet (space, '\"', ',', ';', '\\', controls, non-ASCII)";
                return false;
            }
        }
        if (!TryPercentDecode(raw, out value))
        {
            reason = "a baggage value has '%' not followed by two hex digits";
            return false;
        }
        key = name.ToString();
        reason = null;
        return true;
    }

    /// <summary>Drops members (in order, whole ones only) until the formatted header fits <see cref="MaxBytes"/>.</summary>
    private static Baggage ApplyLimits(Baggage parsed)
    {
        int bytes = 0;
        List<(string, string, KeyValuePair<string, string?>[]?)>? kept = null;
        for (int i = 0; i < parsed.Count; i++)
        {
            KeyValuePair<string, string> entry = parsed.Entries[i];
            KeyValuePair<string, string?>[] properties = parsed.PropertiesAt(i);
            int size = MemberLength(entry.Key, entry.Value, properties) + (bytes > 0 ? 1 : 0);
            if (bytes + size > MaxBytes)
            {
                if (kept is null)
                {
                    kept = new List<(string, string, KeyValuePair<string, string?>[]?)>(i);
                    for (int j = 0; j < i; j++)
                    {
                        kept.Add((parsed.Entries[j].Key, parsed.Entries[j].Value, parsed.PropertiesAt(j)));
                    }
                }
                Drop($"baggage is over the W3C limit of {MaxBytes} bytes");
                continue;
            }
            bytes += size;
            kept?.Add((entry.Key, entry.Value, properties));
        }
        return kept is null ? parsed : Baggage.FromMembers(kept);
    }

    private static bool HasTokenKeys(string name, KeyValuePair<string, string?>[] properties)
    {
        if (!IsToken(name))
        {
            return false;
        }
        foreach (KeyValuePair<string, string?> property in properties)
        {
            if (property.Key is null || !IsToken(property.Key))
            {
                return false;
            }
        }
        return true;
    }

    private static int MemberLength(string name, string value, KeyValuePair<string, string?>[] properties)
    {
        int length = name.Length + 1 + EncodedLength(value);
        foreach (KeyValuePair<string, string?> property in properties)
        {
            length += 1 + property.Key.Length;
            if (property.Value is not null)
            {
                length += 1 + EncodedLength(property.Value);
            }
        }
        return length;
    }

    private static void AppendMember(StringBuilder sb, string name, string value, KeyValuePair<string, string?>[] properties)
    {
        sb.Append(name).Append('=');
        AppendEncoded(sb, value);
        foreach (KeyValuePair<string, string?> property in properties)
        {
            sb.Append(';').Append(property.Key);
            if (property.Value is not null)
            {
                sb.Append('=');
                AppendEncoded(sb, property.Value);
            }
        }
    }

    // Encoding: code points outside baggage-octet and '%' MUST be percent-encoded, others MAY be. Like the
    // spec's reference implementation (Python's urllib.parse.quote), everything but RFC 3986 unreserved
    // characters and '/' is encoded, as UTF-8 octets; a lone surrogate is encoded as U+FFFD.
    private static bool IsLiteral(char c) =>
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';

    private static int EncodedLength(string value)
    {
        int length = 0;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (IsLiteral(c))
            {
                length++;
            }
            else if (c < 0x80)
            {
                length += 3;
            }
            else if (c < 0x800)
            {
                length += 6;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                length += 12;
                i++;
            }
            else
            {
                length += 9;
            }
        }
        return length;
    }

    private static void AppendEncoded(StringBuilder sb, string value)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (IsLiteral(c))
            {
                sb.Append(c);
                continue;
            }
            int count;
            if (c < 0x80)
            {
                bytes[0] = (byte)c;
                count = 1;
            }
            else if (c < 0x800)
            {
                bytes[0] = (byte)(0xC0 | (c >> 6));
                bytes[1] = (byte)(0x80 | (c & 0x3F));
                count = 2;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                int cp = char.ConvertToUtf32(c, value[i + 1]);
                i++;
                bytes[0] = (byte)(0xF0 | (cp >> 18));
                bytes[1] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                bytes[2] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                bytes[3] = (byte)(0x80 | (cp & 0x3F));
                count = 4;
            }
            else
            {
                int cp = char.IsSurrogate(c) ? 0xFFFD : c;
                bytes[0] = (byte)(0xE0 | (cp >> 12));
                bytes[1] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                bytes[2] = (byte)(0x80 | (cp & 0x3F));
                count = 3;
            }
            for (int b = 0; b < count; b++)
            {
                sb.Append('%').Append(Hex[bytes[b] >> 4]).Append(Hex[bytes[b] & 0xF]);
            }
        }
    }

    private const string Hex = "0123456789ABCDEF";

    // Decoding: %XX octets are decoded as UTF-8, with octet sequences that are not UTF-8 replaced by U+FFFD
    // (as the spec requires). A '%' not followed by two hex digits is not percent-encoding (the spec says '%'
    // MUST be encoded), so the value is malformed.
    private static bool TryPercentDecode(ReadOnlySpan<char> raw, out string? value)
    {
        int percent = raw.IndexOf('%');
        if (percent < 0)
        {
            value = raw.ToString();
            return true;
        }
        value = null;
        byte[] bytes = new byte[raw.Length];
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c != '%')
            {
                bytes[n++] = (byte)c; // baggage-octets are ASCII
                continue;
            }
            if (i + 2 >= raw.Length || HexValue(raw[i + 1]) < 0 || HexValue(raw[i + 2]) < 0)
            {
                return false;
            }
            bytes[n++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
            i += 2;
        }
        value = s_utf8.GetString(bytes, 0, n);
        return true;
    }

    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private static int HexValue(char c) =>
        c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

    // baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
    private static bool IsBaggageOctet(char c) =>
        c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);

    // OWS = *( SP / HTAB )
    private static ReadOnlySpan<char> Trim(ReadOnlySpan<char> text) => text.Trim(" \t".AsSpan());

    // token = 1*tchar (RFC 7230 3.2.6)
    private static bool IsToken(ReadOnlySpan<char> name)
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
}
