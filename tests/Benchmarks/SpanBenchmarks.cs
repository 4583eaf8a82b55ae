using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OtelGen.Spans;

namespace OtelGen.Benchmarks;

/// <summary>The methods under test: identical bodies, one instrumented by the generator, one not.</summary>
public class Work
{
    [Traced]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Step(int x) => x + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Plain(int x) => x + 1;

    [Traced]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int StepTagged([Tag("app.item.id")] int id, [Tag("app.item.count")] long count, [Tag("app.item.kind")] string kind, [Tag("app.item.cached")] bool cached) => id + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int PlainTagged(int id, long count, string kind, bool cached) => id + 1;

    [Traced]
    public async Task<int> StepAsync(int x)
    {
        await Task.Yield();
        return x + 1;
    }

    public async Task<int> PlainAsync(int x)
    {
        await Task.Yield();
        return x + 1;
    }
}

/// <summary>An OpenTelemetry SDK processor that does nothing, so only the SDK's own span cost is measured.</summary>
internal sealed class NoopProcessor : BaseProcessor<Activity>
{
}

/// <summary>
/// Issue 10, case 1: a synchronous [Traced] call beside the same method uninstrumented, an Activity with
/// an AllDataAndRecorded listener, the OpenTelemetry SDK with a no-op processor, and the floor (two
/// timestamp reads plus one ring write); with 0 and 4 attributes.
/// </summary>
[MemoryDiagnoser]
public class SyncSpanBenchmarks
{
    // Names as constants: a listener's filter runs while ActivitySources are being constructed, so it
    // must not read the static fields that hold them.
    private const string ActivityName = "OtelGen.Benchmarks.Activity", SdkName = "OtelGen.Benchmarks.Sdk";
    private static readonly ActivitySource ActivityAnchor = new(ActivityName);
    private static readonly ActivitySource SdkAnchor = new(SdkName);
    private readonly Work _work = new();
    private readonly SpanRecord _floorRecord = new() { Name = "Work.Step" };
    private readonly SpanRing _floorRing = new(8192);
    private ActivityListener? _listener;
    private TracerProvider? _sdk;

    // The counter rows need x64 Linux: elsewhere they fail, and the other rows run as before.
    [GlobalSetup(Targets = new[] { nameof(TwoCounterReads), nameof(FloorCounter) })]
    public void SetupCounter() => TscClock.Require();

    [GlobalSetup]
    public void Setup()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivityName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
        _sdk = Sdk.CreateTracerProviderBuilder().AddSource(SdkName).SetSampler(new AlwaysOnSampler()).AddProcessor(new NoopProcessor()).Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        _sdk?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "uninstrumented")]
    public int Uninstrumented() => _work.Plain(1);

    [Benchmark(Description = "OtelGen [Traced]")]
    public int OtelGenTraced() => _work.Step(1);

    [Benchmark(Description = "floor: 2 timestamps + ring write")]
    public int Floor()
    {
        _floorRecord.StartUnixNano = SpanClock.NowUnixNanos();
        int result = _work.Plain(1);
        _floorRecord.EndUnixNano = SpanClock.NowUnixNanos();
        _floorRing.Write(_floorRecord);
        return result;
    }

    [Benchmark(Description = "2 timestamps only (the clock's share of every row)")]
    public int TwoTimestamps()
    {
        _floorRecord.StartUnixNano = SpanClock.NowUnixNanos();
        int result = _work.Plain(1);
        _floorRecord.EndUnixNano = SpanClock.NowUnixNanos();
        return result;
    }

    [Benchmark(Description = "2 time-stamp counter reads (x64 Linux; a faster clock than the OS's)")]
    public int TwoCounterReads()
    {
        _floorRecord.StartUnixNano = (long)TscClock.Read();
        int result = _work.Plain(1);
        _floorRecord.EndUnixNano = (long)TscClock.Read();
        return result;
    }

    [Benchmark(Description = "floor with time-stamp counter reads (x64 Linux)")]
    public int FloorCounter()
    {
        _floorRecord.StartUnixNano = (long)TscClock.Read();
        int result = _work.Plain(1);
        _floorRecord.EndUnixNano = (long)TscClock.Read();
        _floorRing.Write(_floorRecord);
        return result;
    }

    [Benchmark(Description = "Activity + listener")]
    public int ActivityListened()
    {
        using Activity? activity = ActivityAnchor.StartActivity("Work.Step");
        return _work.Plain(1);
    }

    [Benchmark(Description = "OpenTelemetry SDK, no-op processor")]
    public int OpenTelemetrySdk()
    {
        using Activity? activity = SdkAnchor.StartActivity("Work.Step");
        return _work.Plain(1);
    }

    [Benchmark(Description = "uninstrumented, 4 args")]
    public int UninstrumentedTagged() => _work.PlainTagged(1, 2L, "book", true);

    [Benchmark(Description = "OtelGen [Traced], 4 [Tag]s")]
    public int OtelGenTracedTagged() => _work.StepTagged(1, 2L, "book", true);

    [Benchmark(Description = "Activity + listener, 4 tags")]
    public int ActivityListenedTagged()
    {
        using Activity? activity = ActivityAnchor.StartActivity("Work.StepTagged");
        activity?.SetTag("app.item.id", 1);
        activity?.SetTag("app.item.count", 2L);
        activity?.SetTag("app.item.kind", "book");
        activity?.SetTag("app.item.cached", true);
        return _work.PlainTagged(1, 2L, "book", true);
    }

    [Benchmark(Description = "OpenTelemetry SDK, 4 tags")]
    public int OpenTelemetrySdkTagged()
    {
        using Activity? activity = SdkAnchor.StartActivity("Work.StepTagged");
        activity?.SetTag("app.item.id", 1);
        activity?.SetTag("app.item.count", 2L);
        activity?.SetTag("app.item.kind", "book");
        activity?.SetTag("app.item.cached", true);
        return _work.PlainTagged(1, 2L, "book", true);
    }
}

/// <summary>Issue 10, case 2: an async [Traced] method that truly awaits, beside its uninstrumented twin and an Activity.</summary>
[MemoryDiagnoser]
public class AsyncSpanBenchmarks
{
    private const string ActivityName = "OtelGen.Benchmarks.AsyncActivity";
    private static readonly ActivitySource ActivityAnchor = new(ActivityName);
    private readonly Work _work = new();
    private ActivityListener? _listener;

    [GlobalSetup]
    public void Setup()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivityName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [GlobalCleanup]
    public void Cleanup() => _listener?.Dispose();

    [Benchmark(Baseline = true, Description = "uninstrumented async")]
    public Task<int> Uninstrumented() => _work.PlainAsync(1);

    [Benchmark(Description = "OtelGen [Traced] async")]
    public Task<int> OtelGenTraced() => _work.StepAsync(1);

    [Benchmark(Description = "Activity + listener, async")]
    public async Task<int> ActivityListened()
    {
        using Activity? activity = ActivityAnchor.StartActivity("Work.StepAsync");
        return await _work.PlainAsync(1);
    }
}

/// <summary>Issue 10, case 3 (and issue 6): tracing switched off costs one branch per span site.</summary>
[MemoryDiagnoser]
public class DisabledSpanBenchmarks
{
    private readonly Work _work = new();

    [GlobalSetup]
    public void Setup() => Tracing.Disable();

    [GlobalCleanup]
    public void Cleanup() => Tracing.Enable();

    [Benchmark(Baseline = true, Description = "uninstrumented")]
    public int Uninstrumented() => _work.Plain(1);

    [Benchmark(Description = "OtelGen [Traced], tracing off")]
    public int OtelGenTracedOff() => _work.Step(1);
}

/// <summary>Issue 10, case 4: several threads recording into one ring at full speed.</summary>
[MemoryDiagnoser]
public class RingContentionBenchmarks
{
    private const int SpansPerThread = 200_000;
    private SpanRing _ring = new(8192);

    [Params(1, 2, 4)]
    public int Threads { get; set; }

    [IterationSetup]
    public void Setup() => _ring = new SpanRing(8192);

    // Lost spans (a writer finding its slot still being written a lap behind) show in the run's log.
    [IterationCleanup]
    public void ReportCollisions() => System.Console.WriteLine($"// ring write collisions with {Threads} thread(s): {_ring.WriteCollisions}");

    /// <summary>Records Threads x 200,000 spans; spans/s = that count over the reported time.</summary>
    [Benchmark(OperationsPerInvoke = SpansPerThread)]
    public long Record()
    {
        var threads = new Thread[Threads];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                var record = new SpanRecord { Name = "contention" };
                record.SetAttribute("app.n", 1L);
                for (int i = 0; i < SpansPerThread; i++)
                {
                    record.StartUnixNano = SpanClock.NowUnixNanos();
                    record.EndUnixNano = SpanClock.NowUnixNanos();
                    _ring.Write(record);
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        return _ring.WriteCollisions;
    }
}
