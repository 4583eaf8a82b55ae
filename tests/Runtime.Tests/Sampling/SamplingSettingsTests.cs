using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using OtelGen.Sampling;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public sealed class SamplingSettingsTests : IDisposable
{
    private readonly Dictionary<string, string> _environment = new();
    private readonly List<string> _warnings = new();

    public void Dispose() => SamplingSettings.Reset();

    private SamplingSettings Resolve(SamplingOptions? options = null) =>
        SamplingSettings.Resolve(options, name => _environment.TryGetValue(name, out string? v) ? v : null, _warnings.Add);

    [Fact]
    public void Defaults_are_parentbased_always_on_without_tail_sampling()
    {
        SamplingSettings settings = Resolve();
        Assert.Equal(HeadSamplerKind.ParentBasedAlwaysOn, settings.Sampler);
        Assert.Equal(1.0, settings.Ratio);
        Assert.False(settings.TailEnabled);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Tail.HoldTime);
        Assert.Equal(4096, settings.Tail.MaxTraces);
        Assert.Equal(65536, settings.Tail.MaxSpans);
        Assert.Empty(_warnings);
    }

    [Theory]
    [InlineData("always_on", HeadSamplerKind.AlwaysOn, 1.0)]
    [InlineData("always_off", HeadSamplerKind.AlwaysOff, 1.0)]
    [InlineData("traceidratio", HeadSamplerKind.TraceIdRatio, 0.25)]
    [InlineData("parentbased_always_on", HeadSamplerKind.ParentBasedAlwaysOn, 1.0)]
    [InlineData("parentbased_always_off", HeadSamplerKind.ParentBasedAlwaysOff, 1.0)]
    [InlineData("PARENTBASED_TRACEIDRATIO", HeadSamplerKind.ParentBasedTraceIdRatio, 0.25)]
    public void OTEL_TRACES_SAMPLER_and_its_argument_select_the_head_sampler(string name, HeadSamplerKind kind, double ratio)
    {
        _environment["OTEL_TRACES_SAMPLER"] = name;
        _environment["OTEL_TRACES_SAMPLER_ARG"] = "0.25";
        SamplingSettings settings = Resolve();
        Assert.Equal(kind, settings.Sampler);
        Assert.Equal(ratio, settings.Ratio);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void A_ratio_sampler_without_an_argument_samples_everything()
    {
        _environment["OTEL_TRACES_SAMPLER"] = "traceidratio";
        Assert.Equal(1.0, Resolve().Ratio);
    }

    [Fact]
    public void An_unknown_sampler_warns_with_the_valid_names_and_keeps_the_default()
    {
        _environment["OTEL_TRACES_SAMPLER"] = "jaeger_remote";
        SamplingSettings settings = Resolve();
        Assert.Equal(HeadSamplerKind.ParentBasedAlwaysOn, settings.Sampler);
        string warning = Assert.Single(_warnings);
        Assert.Contains("'jaeger_remote'", warning);
        Assert.Contains(SamplingSettings.ValidSamplerNames, warning);
    }

    [Fact]
    public void A_bad_sampler_argument_warns_and_samples_everything()
    {
        _environment["OTEL_TRACES_SAMPLER"] = "traceidratio";
        _environment["OTEL_TRACES_SAMPLER_ARG"] = "1.5";
        SamplingSettings settings = Resolve();
        Assert.Equal(HeadSamplerKind.TraceIdRatio, settings.Sampler);
        Assert.Equal(1.0, settings.Ratio);
        Assert.Contains("'1.5'", Assert.Single(_warnings));
    }

    [Fact]
    public void OTELGEN_SAMPLER_sets_a_parent_based_head_ratio_and_the_tail_policies()
    {
        _environment["OTEL_TRACES_SAMPLER"] = "always_on";
        _environment["OTELGEN_SAMPLER"] = "head:0.02,tail:error|p99|promoted";
        SamplingSettings settings = Resolve();
        Assert.Equal(HeadSamplerKind.ParentBasedTraceIdRatio, settings.Sampler);
        Assert.Equal(0.02, settings.Ratio);
        Assert.Equal(TailPolicies.Error | TailPolicies.P99 | TailPolicies.Promoted, settings.Tail.Policies);
        Assert.True(settings.TailEnabled);
    }

    [Fact]
    public void A_tail_only_spec_keeps_the_head_sampler_of_OTEL_TRACES_SAMPLER()
    {
        _environment["OTEL_TRACES_SAMPLER"] = "always_off";
        _environment["OTELGEN_SAMPLER"] = "tail:error";
        SamplingSettings settings = Resolve();
        Assert.Equal(HeadSamplerKind.AlwaysOff, settings.Sampler);
        Assert.Equal(TailPolicies.Error, settings.Tail.Policies);
    }

    [Fact]
    public void A_bad_OTELGEN_SAMPLER_warns_naming_the_token_and_is_ignored()
    {
        _environment["OTEL_TRACES_SAMPLER"] = "always_off";
        _environment["OTELGEN_SAMPLER"] = "head:0.5,tail:error|slow";
        SamplingSettings settings = Resolve();
        Assert.Equal(HeadSamplerKind.AlwaysOff, settings.Sampler);
        Assert.False(settings.TailEnabled);
        string warning = Assert.Single(_warnings);
        Assert.Contains("OTELGEN_SAMPLER", warning);
        Assert.Contains("'slow'", warning);
        Assert.Contains(SamplerSpec.ValidPolicies, warning);
    }

    [Fact]
    public void The_tail_limits_come_from_OTELGEN_TAIL_variables_and_bad_ones_warn()
    {
        _environment["OTELGEN_TAIL_HOLD_MS"] = "1500";
        _environment["OTELGEN_TAIL_MAX_TRACES"] = "100";
        _environment["OTELGEN_TAIL_MAX_SPANS"] = "-3";
        SamplingSettings settings = Resolve();
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.Tail.HoldTime);
        Assert.Equal(100, settings.Tail.MaxTraces);
        Assert.Equal(SamplingSettings.DefaultTailMaxSpans, settings.Tail.MaxSpans);
        Assert.Contains("OTELGEN_TAIL_MAX_SPANS='-3'", Assert.Single(_warnings));
    }

    [Fact]
    public void Options_from_code_override_the_environment_setting_by_setting()
    {
        _environment["OTEL_TRACES_SAMPLER"] = "always_off";
        _environment["OTELGEN_SAMPLER"] = "head:0.5,tail:error";
        _environment["OTELGEN_TAIL_MAX_TRACES"] = "100";

        SamplingSettings spec = Resolve(new SamplingOptions { Spec = "tail:p95" });
        Assert.Equal(HeadSamplerKind.ParentBasedTraceIdRatio, spec.Sampler);
        Assert.Equal(0.5, spec.Ratio);
        Assert.Equal(TailPolicies.P95, spec.Tail.Policies);
        Assert.Equal(100, spec.Tail.MaxTraces);

        SamplingSettings explicitSettings = Resolve(new SamplingOptions
        {
            Spec = "head:0.1,tail:p95",
            Sampler = HeadSamplerKind.AlwaysOn,
            TailPolicies = TailPolicies.None,
            TailMaxTraces = 7,
            TailMaxSpans = 70,
            TailHoldTime = TimeSpan.FromSeconds(2),
        });
        Assert.Equal(HeadSamplerKind.AlwaysOn, explicitSettings.Sampler);
        Assert.False(explicitSettings.TailEnabled);
        Assert.Equal(7, explicitSettings.Tail.MaxTraces);
        Assert.Equal(70, explicitSettings.Tail.MaxSpans);
        Assert.Equal(TimeSpan.FromSeconds(2), explicitSettings.Tail.HoldTime);
    }

    [Fact]
    public void A_ratio_from_code_alone_selects_parentbased_traceidratio()
    {
        SamplingSettings settings = Resolve(new SamplingOptions { Ratio = 0.3 });
        Assert.Equal(HeadSamplerKind.ParentBasedTraceIdRatio, settings.Sampler);
        Assert.Equal(0.3, settings.Ratio);
        SamplingSettings kept = Resolve(new SamplingOptions { Sampler = HeadSamplerKind.TraceIdRatio, Ratio = 0.3 });
        Assert.Equal(HeadSamplerKind.TraceIdRatio, kept.Sampler);
    }

    [Fact]
    public void Bad_options_from_code_throw_naming_the_problem()
    {
        FormatException bad = Assert.Throws<FormatException>(() => Resolve(new SamplingOptions { Spec = "head:0.1,tail:errors" }));
        Assert.Contains("'errors'", bad.Message);
        Assert.Contains(SamplerSpec.ValidPolicies, bad.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Resolve(new SamplingOptions { Ratio = 1.01 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resolve(new SamplingOptions { TailMaxSpans = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resolve(new SamplingOptions { TailHoldTime = TimeSpan.Zero }));
    }

    [Fact]
    public void Configure_makes_the_settings_current_for_the_head_sampler()
    {
        SamplingSettings settings = SamplingSettings.Configure(new SamplingOptions { Spec = "head:0.125,tail:error" });
        Assert.Same(settings, SamplingSettings.Current);
        Assert.Equal(HeadSamplerKind.ParentBasedTraceIdRatio, HeadSampler.Kind);
        Assert.Equal(0.125, HeadSampler.Ratio);
        Assert.True(HeadSampler.RecordsUnsampled);
        SamplingSettings.Reset();
        Assert.False(HeadSampler.RecordsUnsampled);
    }

    // The process environment is read once per load of the runtime: load a fresh copy with the variables set.
    [Fact]
    public void The_process_environment_configures_a_fresh_runtime()
    {
        var names = new[] { "OTEL_SDK_DISABLED", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTELGEN_SAMPLER" };
        var saved = new Dictionary<string, string?>();
        foreach (string name in names)
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
        }
        // This copy of the runtime must read its environment before the variables change.
        bool enabledHere = Tracing.IsEnabled;
        HeadSamplerKind kindHere = HeadSampler.Kind;
        var context = new AssemblyLoadContext("sampling-env", isCollectible: true);
        try
        {
            Environment.SetEnvironmentVariable("OTEL_SDK_DISABLED", "true");
            Environment.SetEnvironmentVariable("OTEL_TRACES_SAMPLER", "traceidratio");
            Environment.SetEnvironmentVariable("OTEL_TRACES_SAMPLER_ARG", "0.5");
            Environment.SetEnvironmentVariable("OTELGEN_SAMPLER", "tail:error|promoted");
            Assembly runtime = context.LoadFromAssemblyPath(Path.GetFullPath(typeof(Tracing).Assembly.Location));
            Assert.NotSame(typeof(Tracing).Assembly, runtime);

            bool enabled = (bool)runtime.GetType("OtelGen.Tracing")!.GetProperty("IsEnabled")!.GetValue(null)!;
            Type sampler = runtime.GetType("OtelGen.Sampling.HeadSampler")!;
            object kind = sampler.GetProperty("Kind")!.GetValue(null)!;
            double ratio = (double)sampler.GetProperty("Ratio")!.GetValue(null)!;
            bool recordsUnsampled = (bool)sampler.GetProperty("RecordsUnsampled")!.GetValue(null)!;

            Assert.False(enabled);
            Assert.Equal("TraceIdRatio", kind.ToString());
            Assert.Equal(0.5, ratio);
            Assert.True(recordsUnsampled);
            // This copy of the runtime was initialized before: its settings are untouched.
            Assert.Equal(enabledHere, Tracing.IsEnabled);
            Assert.Equal(kindHere, HeadSampler.Kind);
        }
        finally
        {
            foreach (KeyValuePair<string, string?> kv in saved)
            {
                Environment.SetEnvironmentVariable(kv.Key, kv.Value);
            }
            context.Unload();
        }
    }
}
