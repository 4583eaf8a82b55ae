using System;
using System.Globalization;

namespace OtelGen.Sampling;

/// <summary>What makes the tail stage keep a trace beyond the head ratio.</summary>
[Flags]
public enum TailPolicies
{
    /// <summary>Tail sampling off: what the head sampler sampled is exported, nothing else is recorded.</summary>
    None = 0,
    /// <summary><c>error</c>: keep a trace with any span whose status is ERROR.</summary>
    Error = 1,
    /// <summary><c>p95</c>: keep a trace whose local root is slower than its route's running p95.</summary>
    P95 = 2,
    /// <summary><c>p99</c>: keep a trace whose local root is slower than its route's running p99.</summary>
    P99 = 4,
    /// <summary><c>promoted</c>: keep a trace with a promoted job span (<c>job.queue_wait</c> or <c>job.park</c>).</summary>
    Promoted = 8,
}

/// <summary>
/// The <c>OTELGEN_SAMPLER</c> spec, e.g. <c>head:0.02,tail:error|p99|promoted</c>: comma-separated
/// parts, <c>head:&lt;ratio 0..1&gt;</c> (a parent-based trace-id ratio head sampler) and
/// <c>tail:&lt;policy&gt;|&lt;policy&gt;...</c> with policies <c>error</c>, <c>p95</c>, <c>p99</c>, <c>promoted</c>.
/// Names are case-insensitive; spaces around tokens are ignored.
/// </summary>
public sealed class SamplerSpec
{
    /// <summary>The valid parts, as error messages list them.</summary>
    public const string ValidParts = "head:<ratio 0..1>, tail:<policy>[|<policy>...]";
    /// <summary>The valid tail policies, as error messages list them.</summary>
    public const string ValidPolicies = "error, p95, p99, promoted";

    private SamplerSpec(double? headRatio, TailPolicies tail)
    {
        HeadRatio = headRatio;
        Tail = tail;
    }

    /// <summary>The head ratio (<c>head:</c>), or null when the spec leaves the head sampler alone.</summary>
    public double? HeadRatio { get; }

    /// <summary>The tail policies (<c>tail:</c>); <see cref="TailPolicies.None"/> when absent.</summary>
    public TailPolicies Tail { get; }

    /// <summary>Parses a spec; throws <see cref="FormatException"/> naming the bad token and listing the valid ones.</summary>
    public static SamplerSpec Parse(string spec)
    {
        if (!TryParse(spec, out SamplerSpec? result, out string? error))
        {
            throw new FormatException(error);
        }
        return result!;
    }

    /// <summary>Parses a spec; on failure <paramref name="error"/> names the bad token and lists the valid ones.</summary>
    public static bool TryParse(string? spec, out SamplerSpec? result, out string? error)
    {
        result = null;
        error = null;
        if (string.IsNullOrWhiteSpace(spec))
        {
            error = $"The sampler spec is empty; valid parts: {ValidParts} (policies: {ValidPolicies}).";
            return false;
        }
        double? head = null;
        TailPolicies tail = TailPolicies.None;
        bool sawTail = false;
        foreach (string rawPart in spec!.Split(','))
        {
            string part = rawPart.Trim();
            int colon = part.IndexOf(':');
            string key = (colon < 0 ? part : part.Substring(0, colon)).Trim().ToLowerInvariant();
            string value = colon < 0 ? string.Empty : part.Substring(colon + 1).Trim();
            switch (key)
            {
                case "head":
                    if (head is not null)
                    {
                        error = $"'{part}' repeats the head part in '{spec}'; give it once. Valid parts: {ValidParts}.";
                        return false;
                    }
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double ratio) || !(ratio >= 0 && ratio <= 1))
                    {
                        error = $"'{value}' in '{part}' is not a ratio between 0 and 1 (e.g. head:0.02).";
                        return false;
                    }
                    head = ratio;
                    break;
                case "tail":
                    if (sawTail)
                    {
                        error = $"'{part}' repeats the tail part in '{spec}'; join policies with '|'. Valid parts: {ValidParts}.";
                        return false;
                    }
                    sawTail = true;
                    foreach (string rawPolicy in value.Split('|'))
                    {
                        string policy = rawPolicy.Trim();
                        TailPolicies parsed = policy.ToLowerInvariant() switch
                        {
                            "error" => TailPolicies.Error,
                            "p95" => TailPolicies.P95,
                            "p99" => TailPolicies.P99,
                            "promoted" => TailPolicies.Promoted,
                            _ => TailPolicies.None,
                        };
                        if (parsed == TailPolicies.None)
                        {
                            error = $"'{policy}' in '{part}' is not a tail policy; valid policies: {ValidPolicies}.";
                            return false;
                        }
                        tail |= parsed;
                    }
                    break;
                default:
                    error = $"'{part}' in '{spec}' is not a sampler part; valid parts: {ValidParts} (policies: {ValidPolicies}).";
                    return false;
            }
        }
        result = new SamplerSpec(head, tail);
        return true;
    }

    /// <summary>The spec in its canonical form, e.g. <c>head:0.02,tail:error|p99</c>.</summary>
    public override string ToString()
    {
        string? head = HeadRatio is { } r ? "head:" + r.ToString("R", CultureInfo.InvariantCulture) : null;
        string? tail = Tail == TailPolicies.None ? null : "tail:" + FormatPolicies(Tail);
        return head is not null && tail is not null ? head + "," + tail : head ?? tail ?? string.Empty;
    }

    /// <summary>The policies as a spec writes them, e.g. <c>error|p99</c>.</summary>
    public static string FormatPolicies(TailPolicies policies)
    {
        var parts = new System.Collections.Generic.List<string>(4);
        if ((policies & TailPolicies.Error) != 0) parts.Add("error");
        if ((policies & TailPolicies.P95) != 0) parts.Add("p95");
        if ((policies & TailPolicies.P99) != 0) parts.Add("p99");
        if ((policies & TailPolicies.Promoted) != 0) parts.Add("promoted");
        return parts.Count == 0 ? "none" : string.Join("|", parts);
    }
}
