using System;
using System.Diagnostics;
using System.Linq;
using OtelGen.Context;
using OtelGen.Sampling;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests;

/// <summary>
/// W3C Trace Context Level 2 (https://www.w3.org/TR/trace-context-2/, the spec/ text of w3c/trace-context at
/// acab820), rule by rule: each test quotes the rule it checks.
/// </summary>
public sealed class TraceContextLevel2Tests : IDisposable
{
    private const string Trace = "0af7651916cd43dd8448eb211c80319c";
    private const string Parent = "b7ad6b7169203331";

    // Runtime tests run serially; leave the environment's sampler in place.
    public void Dispose() => SamplingSettings.Reset();

    private static SpanContext Parse(string traceparent, string? tracestate = null)
    {
        Assert.True(TraceParent.TryParse(traceparent, tracestate, out SpanContext context), traceparent);
        return context;
    }

    private static string? Normalize(string tracestate) =>
        TraceStateHeader.TryNormalize(tracestate, out string? normalized) ? normalized : null;

    // ---- traceparent: trace-flags ----

    // "03 and 02 (00000010) both represent that at least the right-most 7 bytes of the trace-id are randomly
    // (or pseudo-randomly) generated because the random bit (00000010) is set."
    [Theory]
    [InlineData("00", 0x00)]
    [InlineData("01", 0x01)]
    [InlineData("02", 0x02)]
    [InlineData("03", 0x03)]
    public void Random_trace_id_flag_is_read_beside_the_sampled_flag(string flags, int expected)
    {
        SpanContext context = Parse($"00-{Trace}-{Parent}-{flags}");
        Assert.Equal(expected, context.TraceFlags);
        Assert.Equal($"00-{Trace}-{Parent}-{flags}", TraceParent.Format(context));
    }

    // "Other Flags: The behavior of other flags, such as (00000100) is not defined and is reserved for future
    // use. Vendors MUST set those to zero."
    [Theory]
    [InlineData("04", 0x00)]
    [InlineData("05", 0x01)]
    [InlineData("fe", 0x02)]
    [InlineData("ff", 0x03)]
    [InlineData("80", 0x00)]
    public void Undefined_flags_are_set_to_zero(string flags, int expected)
    {
        SpanContext context = Parse($"00-{Trace}-{Parent}-{flags}");
        Assert.Equal(expected, context.TraceFlags);
        Assert.EndsWith($"-0{expected}", TraceParent.Format(context));
    }

    // Same rule on the way out: a context made in code with undefined bits is sent with them zero.
    [Fact]
    public void Formatting_sends_only_the_defined_flags()
    {
        var context = new SpanContext(new TraceId(1, 2), new SpanId(3), 0xff);
        Assert.Equal("00-00000000000000010000000000000002-0000000000000003-03", TraceParent.Format(context));
    }

    // "If the flag is set in the incoming traceparent header, it MUST also be set in all outgoing traceparent
    // headers which use the same trace-id." / "If the flag is unset in the incoming traceparent header, it MUST
    // also be unset in any outgoing traceparent headers which use the same trace-id."
    [Theory]
    [InlineData("00", "00")]
    [InlineData("01", "01")]
    [InlineData("02", "02")]
    [InlineData("03", "03")]
    [InlineData("ff", "03")]
    public void Random_flag_of_a_continued_trace_is_sent_on_unchanged(string incoming, string outgoing)
    {
        HeadSampler.Configure(HeadSamplerKind.ParentBasedAlwaysOn);
        string sent;
        using (TraceContext.Continue($"00-{Trace}-{Parent}-{incoming}"))
        {
            using var server = Tracing.StartSpan("server", ActivityKind.Server);
            using var child = Tracing.StartSpan("child");
            sent = TraceContext.ToHeaders().Single(h => h.Key == "traceparent").Value;
        }
        Assert.StartsWith($"00-{Trace}-", sent);
        Assert.DoesNotContain(Parent, sent);
        Assert.EndsWith("-" + outgoing, sent);
    }

    // The sampled bit still follows the sampler, the random bit the trace id: an always-on sampler under an
    // unsampled random parent sends 03, an always-off one under a sampled random parent 02.
    [Theory]
    [InlineData(HeadSamplerKind.AlwaysOn, "02", "03")]
    [InlineData(HeadSamplerKind.AlwaysOff, "03", "02")]
    [InlineData(HeadSamplerKind.AlwaysOff, "01", "00")]
    public void Sampler_decides_the_sampled_bit_and_keeps_the_random_bit(HeadSamplerKind kind, string incoming, string outgoing)
    {
        HeadSampler.Configure(kind);
        using (TraceContext.Continue($"00-{Trace}-{Parent}-{incoming}"))
        {
            using var span = Tracing.StartSpan("server", ActivityKind.Server);
            Assert.EndsWith("-" + outgoing, TraceContext.ToHeaders().Single(h => h.Key == "traceparent").Value);
        }
    }

    // "When at least the right-most 7 bytes of the trace-id are randomly (or pseudo-randomly) generated, the
    // random-trace-id flag SHOULD be set to 1." OtelGen's trace ids are 16 pseudo-random bytes.
    [Theory]
    [InlineData(HeadSamplerKind.AlwaysOn, 0x03)]
    [InlineData(HeadSamplerKind.AlwaysOff, 0x02)]
    public void A_trace_OtelGen_starts_has_the_random_flag(HeadSamplerKind kind, int flags)
    {
        HeadSampler.Configure(kind);
        using var root = Tracing.StartSpan("root");
        using var child = Tracing.StartSpan("child");
        Assert.Equal(flags, root.Context.TraceFlags);
        Assert.Equal(flags, child.Context.TraceFlags);
        string sent = TraceContext.ToHeaders().Single(h => h.Key == "traceparent").Value;
        Assert.Equal($"00-{root.Context.TraceId}-{child.Context.SpanId}-0{flags}", sent);
    }

    // "Restart trace: All properties (trace-id, parent-id, trace-flags) are regenerated": an invalid parent
    // gives a new trace id, so the random flag is set though the header had none.
    [Fact]
    public void A_restarted_trace_has_the_random_flag()
    {
        HeadSampler.Configure(HeadSamplerKind.ParentBasedAlwaysOn);
        using (TraceContext.Continue($"ff-{Trace}-{Parent}-00"))
        {
            using var span = Tracing.StartSpan("server", ActivityKind.Server);
            Assert.NotEqual(Trace, span.Context.TraceId.ToHexString());
            Assert.Equal(0x03, span.Context.TraceFlags);
        }
    }

    // ---- traceparent: versions ----

    // "If a higher version is detected, the implementation SHOULD try to parse it ... Parse the sampled bit of
    // flags (2 characters from the third dash). Vendors MUST check that the 2 characters are either at the end
    // of the string or followed by a dash." / "Vendors MUST use these fields to construct the new traceparent
    // field according to the highest version of the specification known to the implementation".
    [Theory]
    [InlineData("cc-" + Trace + "-" + Parent + "-01", 0x01)]
    [InlineData("cc-" + Trace + "-" + Parent + "-03-what-the-future-will-be-like", 0x03)]
    [InlineData("01-" + Trace + "-" + Parent + "-ff-", 0x03)]
    [InlineData("fe-" + Trace + "-" + Parent + "-02-x", 0x02)]
    public void A_higher_version_is_parsed_by_the_00_rules_and_sent_as_00(string header, int flags)
    {
        SpanContext context = Parse(header);
        Assert.Equal(flags, context.TraceFlags);
        Assert.Equal($"00-{Trace}-{Parent}-0{flags}", TraceParent.Format(context));
    }

    // "If the size of the header is shorter than 55 characters, the vendor should not parse the header";
    // "followed by a dash"; "Version ff is forbidden"; "this document assumes version 00" (whose format has
    // exactly four fields); "When the version prefix cannot be parsed (it's not 2 hex characters followed by a
    // dash (-)), the implementation should restart the trace"; trace-flags = 2HEXDIGLC.
    [Theory]
    [InlineData("cc-" + Trace + "-" + Parent + "-01.what-the-future-will-be-like")]
    [InlineData("cc-" + Trace + "-" + Parent + "-0")]
    [InlineData("cc-" + Trace + "-" + Parent + "-012")]
    [InlineData("ff-" + Trace + "-" + Parent + "-01")]
    [InlineData("00-" + Trace + "-" + Parent + "-01-")]
    [InlineData("00-" + Trace + "-" + Parent + "-01-extra")]
    [InlineData("0-" + Trace + "-" + Parent + "-01")]
    [InlineData("000-" + Trace + "-" + Parent + "-01")]
    [InlineData(".0-" + Trace + "-" + Parent + "-01")]
    [InlineData("0C-" + Trace + "-" + Parent + "-01")]
    [InlineData("00-" + Trace + "-" + Parent + "-0F")]
    [InlineData("00-" + Trace + "-" + Parent + "-.1")]
    [InlineData("")]
    public void Headers_the_spec_rejects_are_rejected(string header)
    {
        Assert.False(TraceParent.TryParse(header, "foo=1", out SpanContext context));
        Assert.Equal(default, context);
    }

    // Header field values carry optional white space around them (the suite's test_traceparent_ows_handling).
    [Theory]
    [InlineData(" ")]
    [InlineData("\t")]
    [InlineData("\t ")]
    [InlineData(" \t ")]
    public void Surrounding_spaces_and_tabs_are_ignored(string ows)
    {
        SpanContext context = Parse(ows + $"00-{Trace}-{Parent}-01" + ows);
        Assert.Equal(Trace, context.TraceId.ToHexString());
    }

    // "If the vendor failed to parse traceparent, it MUST NOT attempt to parse tracestate. Note that the
    // opposite is not true: failure to parse tracestate MUST NOT affect the parsing of traceparent."
    [Fact]
    public void A_bad_tracestate_does_not_affect_the_traceparent()
    {
        SpanContext context = Parse($"00-{Trace}-{Parent}-01", "FOO=1");
        Assert.Equal(Trace, context.TraceId.ToHexString());
        Assert.Null(context.TraceState);
    }

    // "Vendors MUST accept empty tracestate headers but SHOULD avoid sending them."
    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(",")]
    [InlineData(" \t, ,\t")]
    public void An_empty_tracestate_is_accepted_and_not_sent(string tracestate)
    {
        SpanContext context = Parse($"00-{Trace}-{Parent}-01", tracestate);
        Assert.Null(context.TraceState);
    }

    // ---- tracestate: keys ----

    // "key = ( lcalpha / DIGIT ) 0*255 ( keychar )", "keychar = lcalpha / DIGIT / "_" / "-"/ "*" / "/" / "@"":
    // "A key MUST begin with a lowercase letter or a digit and contain up to 256 characters".
    [Theory]
    [InlineData("foo@=1,bar=2")]
    [InlineData("foo@@bar=1,bar=2")]
    [InlineData("foo@bar@baz=1,bar=2")]
    [InlineData("tenant@system=1")]
    [InlineData("1tenant@system=1")]
    [InlineData("0=1")]
    [InlineData("a=1")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/=1")]
    public void Keys_of_the_level_2_grammar_are_kept(string tracestate)
    {
        Assert.Equal(tracestate, Normalize(tracestate));
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    public void A_key_has_up_to_256_characters(int length, bool kept)
    {
        string tracestate = "foo=1," + new string('z', length) + "=1";
        Assert.Equal(kept ? tracestate : null, Normalize(tracestate));
    }

    // Level 1's multi-tenant limits (tenant 241, system 14 characters) are gone: only the 256 in all counts.
    [Theory]
    [InlineData(241, 14)]
    [InlineData(242, 1)]
    [InlineData(1, 15)]
    [InlineData(1, 254)]
    public void Multi_tenant_keys_have_no_limits_of_their_own(int tenant, int system)
    {
        string tracestate = "foo=1," + new string('t', tenant) + "@" + new string('v', system) + "=1";
        Assert.Equal(tracestate, Normalize(tracestate));
    }

    // Anything outside the key grammar makes a list-member invalid, and then "If the tracestate header cannot
    // be parsed the vendor MAY discard the entire header" (which the suite expects at STRICT_LEVEL=2).
    [Theory]
    [InlineData("@foo=1,bar=2")]
    [InlineData("_foo=1,bar=2")]
    [InlineData("FOO=1")]
    [InlineData("foo.bar=1")]
    [InlineData("foo =1")]
    [InlineData("f\u00e9=1")]
    [InlineData("=1,bar=2")]
    public void A_key_outside_the_grammar_drops_the_header(string tracestate)
    {
        Assert.Null(Normalize(tracestate));
    }

    // ---- tracestate: values ----

    // "value = 0*255(chr) nblk-chr", "nblk-chr = %x21-2B / %x2D-3C / %x3E-7E", "chr = %x20 / nblk-chr".
    [Fact]
    public void Every_character_the_value_grammar_allows_is_kept()
    {
        string value = new string(Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c).Where(c => c is not ',' and not '=').ToArray());
        Assert.Equal("foo=" + value, Normalize("foo=" + value));
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    public void A_value_has_up_to_256_characters(int length, bool kept)
    {
        string tracestate = "foo=" + new string('v', length);
        Assert.Equal(kept ? tracestate : null, Normalize(tracestate));
    }

    // "All leading spaces MUST be preserved as part of the value. All trailing spaces are considered to be
    // optional whitespace characters not part of the value. Optional trailing whitespace MAY be excluded when
    // propagating the header."
    [Theory]
    [InlineData("foo=  1", "foo=  1")]
    [InlineData("foo=1  ", "foo=1")]
    [InlineData("foo=1 \t , \t bar=2, \t baz=3", "foo=1,bar=2,baz=3")]
    [InlineData("\t foo=1 \t", "foo=1")]
    public void Leading_value_spaces_are_kept_and_optional_whitespace_removed(string tracestate, string expected)
    {
        Assert.Equal(expected, Normalize(tracestate));
    }

    [Theory]
    [InlineData("foo=bar=baz")]
    [InlineData("foo=,bar=3")]
    [InlineData("foo=   ,bar=3")]
    [InlineData("foo=a\u007f")]
    [InlineData("foo=a\nb")]
    [InlineData("foo=\u00e9")]
    [InlineData("foo")]
    public void A_value_outside_the_grammar_drops_the_header(string tracestate)
    {
        Assert.Null(Normalize(tracestate));
    }

    // ---- tracestate: duplicate keys ----

    // "Vendors MAY also discard duplicate keys that were not generated by them." and "Adding a key/value pair
    // MUST NOT result in the same key being present multiple times": the first (left-most, most recent)
    // member of a key is kept and the header passed on (the suite's test_tracestate_duplicated_keys).
    [Theory]
    [InlineData("foo=1,foo=1", "foo=1")]
    [InlineData("foo=1,foo=2", "foo=1")]
    [InlineData("foo=1,bar=2,foo=3,baz=4,bar=5", "foo=1,bar=2,baz=4")]
    public void A_repeated_key_is_kept_once_and_the_header_passed_on(string tracestate, string expected)
    {
        Assert.Equal(expected, Normalize(tracestate));
    }

    // ---- tracestate: 32 members ----

    // "list = list-member 0*31( OWS "," OWS list-member )": "There can be a maximum of 32 list-members in a
    // list." More cannot be parsed, so the whole header is dropped (the suite's test_tracestate_member_count_limit).
    [Fact]
    public void Thirty_two_members_are_kept_and_thirty_three_drop_the_header()
    {
        string members = string.Join(",", Enumerable.Range(1, 32).Select(i => $"bar{i:00}={i:00}"));
        Assert.Same(members, Normalize(members));
        Assert.Null(Normalize(members + ",bar33=33"));
        // Counted before duplicates are discarded: 33 members with one repeated key are still too many.
        Assert.Null(Normalize(members + ",bar01=01"));
        // Empty members are not list-members with a key: "Empty and whitespace-only list members are allowed."
        Assert.Equal(members, Normalize(members.Replace(",", ", ,")));
    }

    // ---- tracestate: 512 ----

    // "Vendors SHOULD propagate at least 512 characters of a combined header. This length includes commas
    // required to separate list items and optional white space (OWS) characters."
    [Fact]
    public void A_header_of_512_characters_is_kept_whole()
    {
        string tracestate = string.Join(",", Enumerable.Range(0, 3).Select(i => $"k{i}=" + new string('v', 125))); // 3 x 128 + 2
        tracestate += ",k3=" + new string('v', 512 - tracestate.Length - 4);
        Assert.Equal(512, tracestate.Length);
        Assert.Same(tracestate, Normalize(tracestate));
    }

    // "the vendor MUST truncate whole entries. Entries larger than 128 characters long SHOULD be removed first.
    // Then entries SHOULD be removed starting from the end of tracestate."
    [Fact]
    public void Over_512_characters_entries_over_128_go_first()
    {
        string a = "a=" + new string('x', 150), b = "b=" + new string('y', 100), c = "c=" + new string('z', 150), d = "d=" + new string('w', 120);
        Assert.Equal(531, string.Join(",", a, b, c, d).Length);
        // c, the last entry over 128 characters, goes; a (also long) stays, as the header then fits.
        Assert.Equal(string.Join(",", a, b, d), Normalize(string.Join(",", a, b, c, d)));
    }

    [Fact]
    public void Over_512_characters_entries_go_from_the_end()
    {
        string[] members = Enumerable.Range(0, 5).Select(i => $"k{i}=" + new string('v', 117)).ToArray(); // 120 each
        Assert.Equal(604, string.Join(",", members).Length);
        Assert.Equal(string.Join(",", members.Take(4)), Normalize(string.Join(",", members)));
    }

    [Fact]
    public void A_single_member_over_512_characters_leaves_nothing()
    {
        Assert.Null(Normalize(new string('k', 256) + "=" + new string('v', 256)));
    }

    // ---- the zero-allocation path ----

    [Fact]
    public void A_normal_level_2_tracestate_of_32_members_is_parsed_without_allocating()
    {
        string header = $"00-{Trace}-{Parent}-03";
        string state = string.Join(",", Enumerable.Range(0, 32).Select(i => $"k{i}@x{i}=v"));
        TraceParent.TryParse(header, state, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool parsed = TraceParent.TryParse(header, state, out SpanContext context);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(parsed);
        Assert.Same(state, context.TraceState);
        Assert.Equal(0x03, context.TraceFlags);
        Assert.Equal(0, allocated);
    }
}
