using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests;

/// <summary>
/// Bad input never throws into the app: the traceparent and tracestate parsers on seeded random input
/// (bytes, characters, mutations of valid headers), huge headers and many members. Bounded iterations, so
/// each test ends by itself in about a second. Checks: no exception; a result is valid or absent; what is
/// kept obeys the spec's grammar and limits; parse(format(x)) == x.
/// </summary>
public class TraceContextFuzzTests
{
    private const int Iterations = 20_000;
    private const string Valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    // The spec's ABNF as regular expressions, written apart from the parser (key, value).
    private static readonly Regex s_key = new(@"^[a-z0-9][a-z0-9_\-*/@]{0,255}$", RegexOptions.CultureInvariant);
    private static readonly Regex s_value = new(@"^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$", RegexOptions.CultureInvariant);
    private static readonly Regex s_traceparent = new(@"^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$", RegexOptions.CultureInvariant);

    private const string TraceParentAlphabet = "0123456789abcdefABCDEF-- \t.xz\u0000\u00e9\uffff";
    private const string TraceStateAlphabet = "abcxyz0189_-*/@==,,,  \t\t!~\"ABZ.;\u0000\u007f\u00e9\n";

    [Fact]
    public void Traceparent_never_throws_and_keeps_only_valid_contexts()
    {
        var random = new Random(20241);
        for (int i = 0; i < Iterations; i++)
        {
            string header = (i % 4) switch
            {
                0 => Mutate(random, Valid, TraceParentAlphabet),
                1 => RandomString(random, random.Next(0, 70), TraceParentAlphabet),
                2 => Encoding.Latin1.GetString(RandomBytes(random, random.Next(0, 70))),
                _ => VersionedHeader(random),
            };
            CheckTraceParent(header);
        }
    }

    [Fact]
    public void Traceparent_of_100_KB_is_handled()
    {
        var random = new Random(20242);
        CheckTraceParent(new string('0', 100_000));
        CheckTraceParent(Valid + new string('-', 100_000));
        CheckTraceParent(new string(' ', 50_000) + Valid + new string('\t', 50_000));
        // A higher version may carry more fields; a very long one parses by the 00 rules and is sent as 00.
        Assert.True(CheckTraceParent("cc" + Valid.Substring(2) + "-" + RandomString(random, 100_000, TraceParentAlphabet)));
        CheckTraceParent(Encoding.Latin1.GetString(RandomBytes(random, 100_000)));
    }

    [Fact]
    public void Tracestate_never_throws_and_keeps_only_what_the_grammar_allows()
    {
        var random = new Random(20243);
        string[] keys = { "foo", "bar", "a@b", "k", "1x", "t@v", new string('z', 256), "Zed", "@x", "x y" };
        for (int i = 0; i < Iterations; i++)
        {
            string header = (i % 4) switch
            {
                0 => RandomString(random, random.Next(0, 80), TraceStateAlphabet),
                1 => Encoding.Latin1.GetString(RandomBytes(random, random.Next(0, 80))),
                2 => Mutate(random, Members(random, keys, random.Next(1, 40)), TraceStateAlphabet),
                _ => Members(random, keys, random.Next(0, 40)),
            };
            CheckTraceState(header);
        }
    }

    [Fact]
    public void Tracestate_of_100_KB_and_of_10000_members_is_handled()
    {
        var random = new Random(20244);
        Assert.Null(CheckTraceState("k=" + new string('v', 100_000)));
        Assert.Null(CheckTraceState(new string('k', 100_000) + "=v"));
        Assert.Null(CheckTraceState(string.Join(",", Enumerable.Range(0, 10_000).Select(i => "k" + i + "=v"))));
        Assert.Null(CheckTraceState(string.Join(",", Enumerable.Repeat("k=v", 10_000))));
        Assert.Equal("a=1", CheckTraceState(new string(',', 100_000) + "a=1" + new string(' ', 10_000)));
        Assert.Equal("a=1,b=2", CheckTraceState(string.Join(",", Enumerable.Repeat(" \t", 10_000)) + ",a=1,,b=2"));
        CheckTraceState(RandomString(random, 100_000, TraceStateAlphabet));
        CheckTraceState(Encoding.Latin1.GetString(RandomBytes(random, 100_000)));
        // And through the traceparent parser, which hands the tracestate on.
        Assert.True(TraceParent.TryParse(Valid, string.Join(",", Enumerable.Range(0, 10_000).Select(i => "k" + i + "=v")), out SpanContext context));
        Assert.Null(context.TraceState);
    }

    // Parses, checks, formats and parses again; returns whether the header parsed.
    private static bool CheckTraceParent(string header)
    {
        bool parsed = TraceParent.TryParse(header, "foo=1", out SpanContext context);
        if (!parsed)
        {
            Assert.Equal(default, context);
            return false;
        }
        Assert.True(context.IsValid, header);
        Assert.True(context.IsRemote);
        Assert.Equal(0, context.TraceFlags & ~0x03);
        Assert.Equal("foo=1", context.TraceState);
        string formatted = TraceParent.Format(context);
        Assert.Matches(s_traceparent, formatted);
        Assert.True(TraceParent.TryParse(formatted, context.TraceState, out SpanContext again));
        Assert.Equal(context, again);
        return true;
    }

    // Normalizes, checks, and normalizes the result again; returns the normalized header or null.
    private static string? CheckTraceState(string header)
    {
        if (!TraceStateHeader.TryNormalize(header, out string? normalized))
        {
            return null;
        }
        Assert.NotNull(normalized);
        Assert.InRange(normalized!.Length, 3, TraceStateHeader.MaxLength);
        string[] members = normalized.Split(',');
        Assert.InRange(members.Length, 1, TraceStateHeader.MaxMembers);
        var seen = new HashSet<string>();
        foreach (string member in members)
        {
            int eq = member.IndexOf('=');
            Assert.True(eq > 0, member);
            Assert.Matches(s_key, member.Substring(0, eq));
            Assert.Matches(s_value, member.Substring(eq + 1));
            Assert.True(seen.Add(member.Substring(0, eq)), "repeated key in " + normalized);
            Assert.Contains(member, header);
        }
        // A normal header is its own normal form, returned as it came.
        Assert.True(TraceStateHeader.TryNormalize(normalized, out string? again));
        Assert.Same(normalized, again);
        return normalized;
    }

    private static string Members(Random random, string[] keys, int count)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            builder.Append(i == 0 ? "" : random.Next(4) == 0 ? " , " : ",");
            string key = random.Next(3) == 0 ? keys[random.Next(keys.Length)] : "k" + random.Next(50);
            builder.Append(key).Append('=').Append(new string((char)('!' + random.Next(3)), random.Next(1, random.Next(3) == 0 ? 300 : 20)));
        }
        return builder.ToString();
    }

    private static string VersionedHeader(Random random)
    {
        string version = random.Next(256).ToString("x2");
        string flags = random.Next(256).ToString("x2");
        string tail = random.Next(3) switch { 0 => "", 1 => "-" + RandomString(random, random.Next(0, 20), TraceParentAlphabet), _ => RandomString(random, 1, TraceParentAlphabet) };
        return $"{version}-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}{tail}";
    }

    private static string Mutate(Random random, string header, string alphabet)
    {
        var chars = new StringBuilder(header);
        for (int n = random.Next(1, 4); n > 0 && chars.Length > 0; n--)
        {
            int at = random.Next(chars.Length);
            switch (random.Next(3))
            {
                case 0: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                case 1: chars.Remove(at, 1); break;
                default: chars.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
            }
        }
        return chars.ToString();
    }

    private static string RandomString(Random random, int length, string alphabet)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }
        return new string(chars);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
