using System;
using OtelGen.Spans;

namespace OtelGen.Context;

/// <summary>
/// W3C <c>traceparent</c> parsing and formatting (Trace Context Level 2: the sampled and random-trace-id
/// flags; higher versions parsed by the version 00 rules).
/// </summary>
public static class TraceParent
{
    /// <summary>The sampled flag (bit 0 of trace-flags).</summary>
    internal const byte SampledFlag = 0x01;

    /// <summary>The random-trace-id flag (bit 1 of trace-flags, Trace Context Level 2): at least the right-most 7 bytes of the trace id are random.</summary>
    internal const byte RandomTraceIdFlag = 0x02;

    /// <summary>
    /// The flags this version knows. "The behavior of other flags ... is not defined and is reserved for
    /// future use. Vendors MUST set those to zero."
    /// </summary>
    internal const byte KnownFlags = SampledFlag | RandomTraceIdFlag;

    private static readonly System.Buffers.SearchValues<char> s_lowerHexOrDash = System.Buffers.SearchValues.Create("0123456789abcdef-");

    /// <summary>Formats <c>00-{32 hex trace id}-{16 hex span id}-{2 hex flags}</c>; flags other than sampled and random are sent as zero.</summary>
    public static string Format(SpanContext context) => string.Create(55, context, static (chars, c) =>
    {
        chars[0] = '0';
        chars[1] = '0';
        chars[2] = '-';
        c.TraceId.WriteHex(chars.Slice(3, 32));
        chars[35] = '-';
        c.SpanId.WriteHex(chars.Slice(36, 16));
        chars[52] = '-';
        // Only bits 0 and 1 can be set, so the first flag digit is always 0.
        chars[53] = '0';
        chars[54] = (char)('0' + (c.TraceFlags & KnownFlags));
    });

    /// <summary>
    /// Parses a <c>traceparent</c> header. Follows the spec: lowercase hex only, version <c>ff</c> and
    /// all-zero ids are invalid, a version 00 header must be exactly 55 characters, and a higher version
    /// may carry more fields after a dash. Of the flags, the sampled and random-trace-id bits are kept,
    /// others are zeroed. Surrounding spaces and tabs are ignored. The result is marked remote. Never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, string? traceState, out SpanContext context)
    {
        context = default;
        value = value.Trim(" \t");
        if (value.Length < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return false;
        }
        // Lowercase hex and the three dashes already checked, nothing else: two vectorized passes over the
        // 55 characters instead of a comparison per character.
        ReadOnlySpan<char> fields = value.Slice(0, 55);
        if (fields.ContainsAnyExcept(s_lowerHexOrDash) || fields.Count('-') != 3)
        {
            return false;
        }
        int version = HexByte(value.Slice(0, 2));
        if (version == 0xff || (version == 0 && value.Length != 55) || (version > 0 && value.Length > 55 && value[55] != '-'))
        {
            return false;
        }
        if (!TraceId.TryParse(value.Slice(3, 32), out TraceId traceId) || !SpanId.TryParse(value.Slice(36, 16), out SpanId spanId))
        {
            return false;
        }
        int flags = HexByte(value.Slice(53, 2));
        // Level 2 defines bit 0 (sampled) and bit 1 (random-trace-id: "If the flag is set in the incoming
        // traceparent header, it MUST also be set in all outgoing traceparent headers which use the same
        // trace-id"); the others "Vendors MUST set ... to zero", and of a higher version "Vendors will set
        // all unparsed / unknown trace-flags to 0 on outgoing requests".
        context = new SpanContext(traceId, spanId, (byte)(flags & KnownFlags), NormalizeTraceState(traceState), isRemote: true);
        return true;
    }

    /// <summary>Parses a header given as a string.</summary>
    public static bool TryParse(string? value, string? traceState, out SpanContext context)
    {
        context = default;
        return value is not null && TryParse(value.AsSpan(), traceState, out context);
    }

    private static string? NormalizeTraceState(string? traceState)
    {
        if (string.IsNullOrWhiteSpace(traceState))
        {
            return null;
        }
        return TraceStateHeader.TryNormalize(traceState, out string? normalized) ? normalized : null;
    }

    private static int HexByte(ReadOnlySpan<char> two) => (Hex(two[0]) << 4) | Hex(two[1]);

    private static int Hex(char c) => c <= '9' ? c - '0' : c - 'a' + 10;
}
