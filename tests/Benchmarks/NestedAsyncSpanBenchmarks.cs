using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace OtelGen.Benchmarks;

/// <summary>The nested levels: identical bodies, traced by OtelGen's generator, by an ActivitySource, or not at all.</summary>
public static class NestedLevels
{
    /// <summary>The ActivitySource of the OpenTelemetry rows.</summary>
    public static readonly ActivitySource Source = new("OtelGen.Benchmarks.Nested");

    [Traced("nested")]
    public static async Task<int> TracedAsync(int depth)
    {
        if (depth <= 1)
        {
            await Task.Yield();
            return 1;
        }
        return 1 + await TracedAsync(depth - 1);
    }

    public static async Task<int> ActivityAsync(int depth)
    {
        using Activity? level = Source.StartActivity("nested");
        level?.SetTag("code.function.name", "OtelGen.Benchmarks.NestedLevels.TracedAsync");
        if (depth <= 1)
        {
            await Task.Yield();
            return 1;
        }
        return 1 + await ActivityAsync(depth - 1);
    }

    public static async Task<int> PlainAsync(int depth)
    {
        if (depth <= 1)
        {
            await Task.Yield();
            return 1;
        }
        return 1 + await PlainAsync(depth - 1);
    }
}

/// <summary>
/// Issue 26 in miniature, for quick A/B runs: <see cref="Depth"/> nested async spans whose innermost level yields,
/// inside a flow shaped like an ASP.NET Core request's (a logging scope's async-local and a request Activity are
/// current, so every async-local change copies a three-entry map as it does in the server), traced by OtelGen, by
/// the OpenTelemetry SDK (always on, batch processor to an exporter that drops the batches), or not at all.
/// tests/Benchmarks/aspnetcore/compare-check.sh measures the same in the real server; this shows the share per
/// span quickly. Run: dotnet run -c Release --project tests/Benchmarks -- --filter '*NestedAsyncSpan*' --job short
/// </summary>
[MemoryDiagnoser]
public class NestedAsyncSpanBenchmarks
{
    private static readonly AsyncLocal<object?> LoggingScope = new();
    private static readonly object Scope = new();
    private Activity? _request;
    private TracerProvider? _sdk;

    [Params(10)]
    public int Depth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sdk = Sdk.CreateTracerProviderBuilder().AddSource(NestedLevels.Source.Name).SetSampler(new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(new DroppingExporter())).Build();
        // Started detached from any source: the request Activity ASP.NET Core makes when logging is on.
        _request = new Activity("request");
        _request.SetIdFormat(ActivityIdFormat.W3C);
        _request.Start();
        Activity.Current = null;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _request?.Stop();
        _sdk?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "uninstrumented")]
    public Task<int> Uninstrumented() => InRequest(static depth => NestedLevels.PlainAsync(depth));

    [Benchmark(Description = "OtelGen [Traced]")]
    public Task<int> OtelGen() => InRequest(static depth => NestedLevels.TracedAsync(depth));

    [Benchmark(Description = "OpenTelemetry SDK")]
    public Task<int> OpenTelemetrySdk() => InRequest(static depth => NestedLevels.ActivityAsync(depth));

    private async Task<int> InRequest(Func<int, Task<int>> levels)
    {
        LoggingScope.Value = Scope;
        Activity.Current = _request;
        return await levels(Depth);
    }

    private sealed class DroppingExporter : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }
}
