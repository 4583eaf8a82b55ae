using System;
using System.Globalization;
using OtelGen.Configuration;

namespace OtelGen.Sampling;

/// <summary>
/// Sampling set from code. Every property left null keeps what the environment (or the default) says;
/// see docs/sampling.md for the table of settings.
/// <code>
/// SamplingSettings.Configure(new SamplingOptions { Spec = "head:0.02,tail:error|p99|promoted" });
/// SamplingSettings.Configure(new SamplingOptions { Sampler = HeadSamplerKind.TraceIdRatio, Ratio = 0.1 });
/// </code>
/// </summary>
public sealed class SamplingOptions
{
    /// <summary>The head sampler (overrides <c>OTEL_TRACES_SAMPLER</c> and the spec's <c>head:</c> part).</summary>
    public HeadSamplerKind? Sampler { get; set; }

    /// <summary>
    /// The trace-id ratio, 0 to 1 (overrides <c>OTEL_TRACES_SAMPLER_ARG</c>). Given without a ratio
    /// sampler in effect, it selects <see cref="HeadSamplerKind.ParentBasedTraceIdRatio"/>.
    /// </summary>
    public double? Ratio { get; set; }

    /// <summary>A spec in the <c>OTELGEN_SAMPLER</c> grammar (overrides that variable); a bad one throws <see cref="FormatException"/>.</summary>
    public string? Spec { get; set; }

    /// <summary>The tail policies (overrides the spec's <c>tail:</c> part); <see cref="Sampling.TailPolicies.None"/> switches tail sampling off.</summary>
    public TailPolicies? TailPolicies { get; set; }

    /// <summary>How long the tail stage holds a trace whose root has not ended before exporting it anyway.</summary>
    public TimeSpan? TailHoldTime { get; set; }

    /// <summary>The most traces the tail stage holds at once.</summary>
    public int? TailMaxTraces { get; set; }

    /// <summary>The most spans the tail stage holds at once.</summary>
    public int? TailMaxSpans { get; set; }
}

/// <summary>
/// The sampling settings in effect, resolved in layers where each later one wins, setting by setting:
/// defaults, then the environment (<c>OTEL_TRACES_SAMPLER</c>/<c>_ARG</c>, then <c>OTELGEN_SAMPLER</c>
/// and <c>OTELGEN_TAIL_*</c>), then <see cref="SamplingOptions"/> from code. A malformed environment
/// value never throws: it is reported once on stderr (naming the bad token and the valid ones) and the
/// setting keeps its earlier value. Malformed options from code throw, at configuration time.
/// </summary>
public sealed class SamplingSettings
{
    /// <summary>The default hold time of the tail stage.</summary>
    public static readonly TimeSpan DefaultTailHoldTime = TimeSpan.FromSeconds(30);
    /// <summary>The default number of traces the tail stage holds.</summary>
    public const int DefaultTailMaxTraces = 4096;
    /// <summary>The default number of spans the tail stage holds.</summary>
    public const int DefaultTailMaxSpans = 65536;

    private SamplingSettings(HeadSamplerKind sampler, double ratio, TailSamplerSettings tail)
    {
        Sampler = sampler;
        Ratio = ratio;
        Tail = tail;
    }

    /// <summary>The defaults: <c>parentbased_always_on</c>, no tail sampling.</summary>
    public static SamplingSettings Default { get; } = new(HeadSamplerKind.ParentBasedAlwaysOn, 1.0, new TailSamplerSettings());

    // After Default: static initializers run in text order, and resolving reads Default.
    private static volatile SamplingSettings s_current = FromEnvironment();

    /// <summary>The settings in effect: the environment's until <see cref="Configure"/> is called.</summary>
    public static SamplingSettings Current => s_current;

    /// <summary>The head sampler.</summary>
    public HeadSamplerKind Sampler { get; }

    /// <summary>The trace-id ratio (meaningful for the ratio samplers).</summary>
    public double Ratio { get; }

    /// <summary>The tail stage's settings; its <see cref="TailSamplerSettings.Policies"/> is None when tail sampling is off.</summary>
    public TailSamplerSettings Tail { get; }

    /// <summary>True when a tail stage should sit between the ring and the exporter.</summary>
    public bool TailEnabled => Tail.Policies != TailPolicies.None;

    /// <summary>
    /// Applies <paramref name="options"/> over the environment and makes the result current: spans that
    /// start afterwards use the new head sampler. An exporter already running keeps the tail stage it
    /// was built with. Throws on malformed options.
    /// </summary>
    public static SamplingSettings Configure(SamplingOptions options)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }
        SamplingSettings settings = Resolve(options, EnvironmentSettings.Get, Diagnostics.Warn);
        s_current = settings;
        HeadSampler.Apply(settings);
        return settings;
    }

    /// <summary>Goes back to what the environment says (or the defaults).</summary>
    public static SamplingSettings Reset() => Configure(new SamplingOptions());

    /// <summary>
    /// Resolves settings from <paramref name="options"/> (may be null) over the variables that
    /// <paramref name="environment"/> returns (null for unset); problems with the environment go to <paramref name="warn"/>.
    /// </summary>
    public static SamplingSettings Resolve(SamplingOptions? options, Func<string, string?> environment, Action<string>? warn = null)
    {
        warn ??= static _ => { };
        HeadSamplerKind sampler = Default.Sampler;
        double ratio = Default.Ratio;
        TailPolicies policies = TailPolicies.None;
        TimeSpan hold = DefaultTailHoldTime;
        int maxTraces = DefaultTailMaxTraces;
        int maxSpans = DefaultTailMaxSpans;

        // The environment: the OpenTelemetry variables first, then the more specific OtelGen ones.
        string? samplerName = Get(environment, "OTEL_TRACES_SAMPLER");
        if (samplerName is not null)
        {
            if (TryParseSamplerName(samplerName, out HeadSamplerKind parsed))
            {
                sampler = parsed;
                if (IsRatio(sampler))
                {
                    ratio = 1.0;
                    string? arg = Get(environment, "OTEL_TRACES_SAMPLER_ARG");
                    if (arg is not null)
                    {
                        if (double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r >= 0 && r <= 1)
                        {
                            ratio = r;
                        }
                        else
                        {
                            warn($"OTEL_TRACES_SAMPLER_ARG='{arg}' is not a ratio between 0 and 1; using 1.0.");
                        }
                    }
                }
            }
            else
            {
                warn($"OTEL_TRACES_SAMPLER='{samplerName}' is not a supported sampler; valid samplers: {ValidSamplerNames}; using parentbased_always_on.");
            }
        }
        string? spec = Get(environment, "OTELGEN_SAMPLER");
        if (spec is not null)
        {
            if (SamplerSpec.TryParse(spec, out SamplerSpec? parsed, out string? error))
            {
                ApplySpec(parsed!, ref sampler, ref ratio, ref policies);
            }
            else
            {
                warn($"OTELGEN_SAMPLER: {error} The variable is ignored.");
            }
        }
        hold = TimeSpan.FromMilliseconds(GetPositiveInt(environment, warn, "OTELGEN_TAIL_HOLD_MS", (int)hold.TotalMilliseconds));
        maxTraces = GetPositiveInt(environment, warn, "OTELGEN_TAIL_MAX_TRACES", maxTraces);
        maxSpans = GetPositiveInt(environment, warn, "OTELGEN_TAIL_MAX_SPANS", maxSpans);

        // Code wins.
        if (options is not null)
        {
            if (options.Spec is not null)
            {
                if (!SamplerSpec.TryParse(options.Spec, out SamplerSpec? parsed, out string? error))
                {
                    throw new FormatException("SamplingOptions.Spec: " + error);
                }
                ApplySpec(parsed!, ref sampler, ref ratio, ref policies);
            }
            if (options.Sampler is { } kind)
            {
                if (!Enum.IsDefined(typeof(HeadSamplerKind), kind))
                {
                    throw new ArgumentOutOfRangeException(nameof(options), kind, "SamplingOptions.Sampler is not a HeadSamplerKind.");
                }
                sampler = kind;
            }
            if (options.Ratio is { } r)
            {
                if (!(r >= 0 && r <= 1))
                {
                    throw new ArgumentOutOfRangeException(nameof(options), r, "SamplingOptions.Ratio must be between 0 and 1.");
                }
                ratio = r;
                if (!IsRatio(sampler))
                {
                    sampler = HeadSamplerKind.ParentBasedTraceIdRatio;
                }
            }
            if (options.TailPolicies is { } p)
            {
                policies = p;
            }
            if (options.TailHoldTime is { } h)
            {
                hold = h > TimeSpan.Zero ? h : throw new ArgumentOutOfRangeException(nameof(options), h, "SamplingOptions.TailHoldTime must be positive.");
            }
            if (options.TailMaxTraces is { } t)
            {
                maxTraces = t > 0 ? t : throw new ArgumentOutOfRangeException(nameof(options), t, "SamplingOptions.TailMaxTraces must be positive.");
            }
            if (options.TailMaxSpans is { } s)
            {
                maxSpans = s > 0 ? s : throw new ArgumentOutOfRangeException(nameof(options), s, "SamplingOptions.TailMaxSpans must be positive.");
            }
        }
        if (!IsRatio(sampler))
        {
            ratio = 1.0;
        }
        var tail = new TailSamplerSettings { Policies = policies, HoldTime = hold, MaxTraces = maxTraces, MaxSpans = maxSpans };
        return new SamplingSettings(sampler, ratio, tail);
    }

    /// <summary>The <c>OTEL_TRACES_SAMPLER</c> values this runtime supports.</summary>
    public const string ValidSamplerNames = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio";

    /// <summary>Parses an <c>OTEL_TRACES_SAMPLER</c> value (case-insensitive).</summary>
    public static bool TryParseSamplerName(string name, out HeadSamplerKind kind)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "always_on": kind = HeadSamplerKind.AlwaysOn; return true;
            case "always_off": kind = HeadSamplerKind.AlwaysOff; return true;
            case "traceidratio": kind = HeadSamplerKind.TraceIdRatio; return true;
            case "parentbased_always_on": kind = HeadSamplerKind.ParentBasedAlwaysOn; return true;
            case "parentbased_always_off": kind = HeadSamplerKind.ParentBasedAlwaysOff; return true;
            case "parentbased_traceidratio": kind = HeadSamplerKind.ParentBasedTraceIdRatio; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>The <c>OTEL_TRACES_SAMPLER</c> name of a sampler.</summary>
    public static string SamplerName(HeadSamplerKind kind) => kind switch
    {
        HeadSamplerKind.AlwaysOn => "always_on",
        HeadSamplerKind.AlwaysOff => "always_off",
        HeadSamplerKind.TraceIdRatio => "traceidratio",
        HeadSamplerKind.ParentBasedAlwaysOn => "parentbased_always_on",
        HeadSamplerKind.ParentBasedAlwaysOff => "parentbased_always_off",
        HeadSamplerKind.ParentBasedTraceIdRatio => "parentbased_traceidratio",
        _ => kind.ToString(),
    };

    /// <inheritdoc/>
    public override string ToString() =>
        SamplerName(Sampler) + (IsRatio(Sampler) ? "(" + Ratio.ToString("R", CultureInfo.InvariantCulture) + ")" : string.Empty)
        + (TailEnabled ? ", tail:" + SamplerSpec.FormatPolicies(Tail.Policies) : string.Empty);

    private static SamplingSettings FromEnvironment()
    {
        try
        {
            return Resolve(null, EnvironmentSettings.Get, Diagnostics.Warn);
        }
        catch
        {
            // Telemetry never throws into the application.
            return Default;
        }
    }

    private static void ApplySpec(SamplerSpec spec, ref HeadSamplerKind sampler, ref double ratio, ref TailPolicies policies)
    {
        if (spec.HeadRatio is { } r)
        {
            sampler = HeadSamplerKind.ParentBasedTraceIdRatio;
            ratio = r;
        }
        if (spec.Tail != TailPolicies.None)
        {
            policies = spec.Tail;
        }
    }

    private static bool IsRatio(HeadSamplerKind kind) => kind is HeadSamplerKind.TraceIdRatio or HeadSamplerKind.ParentBasedTraceIdRatio;

    private static string? Get(Func<string, string?> environment, string name)
    {
        string? value = environment(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static int GetPositiveInt(Func<string, string?> environment, Action<string> warn, string name, int fallback)
    {
        string? value = Get(environment, name);
        if (value is null)
        {
            return fallback;
        }
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) && parsed > 0)
        {
            return parsed;
        }
        warn($"{name}='{value}' is not a positive integer; using {fallback.ToString(CultureInfo.InvariantCulture)}.");
        return fallback;
    }
}
