using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using OtelGen;
using OtelGen.Sampling;
using OtelGen.Spans;

namespace OtelGen.Benchmarks;

/// <summary>Identical bodies: one instrumented by the generator, one not.</summary>
public class SamplingWork
{
    [Traced]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Load(int id) => id * 2 + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int LoadPlain(int id) => id * 2 + 1;
}

/// <summary>
/// OTEL_SDK_DISABLED: a span site in the shape generated interceptors take, with tracing switched off,
/// against the same call without instrumentation, in the same run.
/// dotnet run -c Release --project tests/Benchmarks -- --filter '*SamplingDisabledSite*'
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
public class SamplingDisabledSiteBenchmarks
{
    private static readonly SpanDescriptor s_site = new("Orders.Load", ActivityKind.Internal);
    private int _id = 42;
    private readonly SamplingWork _work = new();

    [GlobalSetup]
    public void Setup()
    {
        // The [Traced] call below must really be intercepted, or the comparison means nothing.
        Tracing.Enable();
        long written = Tracing.Ring.Written;
        _work.Load(1);
        if (Tracing.Ring.Written != written + 1)
        {
            throw new System.InvalidOperationException("SamplingWork.Load was not intercepted by the generator.");
        }
        Tracing.Disable();
    }

    [GlobalCleanup]
    public void Cleanup() => Tracing.Enable();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Load(int id) => id * 2 + 1;

    [Benchmark(Baseline = true, Description = "uninstrumented call")]
    public int Uninstrumented() => Load(_id);

    [Benchmark(Description = "uninstrumented instance call")]
    public int UninstrumentedInstance() => _work.LoadPlain(_id);

    [Benchmark(Description = "generated [Traced] call, tracing disabled")]
    public int GeneratedDisabled() => _work.Load(_id);

    // What the interceptor could look like: an inlinable check, the traced body in its own method.
    [Benchmark(Description = "proposed interceptor shape, tracing disabled")]
    public int ProposedShapeDisabled() => ProposedInterceptor.Load(_work, _id);

    [Benchmark(Description = "span site, tracing disabled")]
    public int DisabledSite()
    {
        if (!Tracing.IsEnabled)
        {
            return Load(_id);
        }
        using SpanScope scope = SpanScope.Start(s_site);
        return Load(_id);
    }

    // The same site with the traced body moved out of line: the disabled path then has no
    // exception-handling frame and no zeroed scope local to set up.
    [Benchmark(Description = "span site, tracing disabled, traced body out of line")]
    public int DisabledSiteOutOfLine()
    {
        if (!Tracing.IsEnabled)
        {
            return Load(_id);
        }
        return LoadTraced(_id);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LoadTraced(int id)
    {
        using SpanScope scope = SpanScope.Start(s_site);
        return Load(id);
    }
}

/// <summary>
/// The generated interceptor's shape with the disabled check split from the traced body: the check is
/// small enough to inline into the caller, and the try/catch/finally (which keeps a method from being
/// inlined and makes its prolog zero the scope) lives in a method called only when tracing is on.
/// </summary>
internal static class ProposedInterceptor
{
    private static readonly SpanDescriptor s_site = new("SamplingWork.Load", ActivityKind.Internal);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load(SamplingWork work, int id)
    {
        if (!Tracing.IsEnabled)
        {
            return work.LoadPlain(id);
        }
        return LoadTraced(work, id);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LoadTraced(SamplingWork work, int id)
    {
        var scope = SpanScope.Start(s_site);
        try
        {
            return work.LoadPlain(id);
        }
        catch (System.Exception ex)
        {
            scope.RecordException(ex);
            throw;
        }
        finally
        {
            scope.Dispose();
        }
    }
}

/// <summary>
/// Per-span cost of a span site by sampling outcome: recorded (sampled, written to the ring), sampled
/// out at the head (nothing written), and recorded-but-unsampled (tail sampling on, written for the tail
/// stage to judge). dotnet run -c Release --project tests/Benchmarks -- --filter '*SamplingSpanCost*'
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
public class SamplingSpanCostBenchmarks
{
    private static readonly SpanDescriptor s_site = new("Orders.Load", ActivityKind.Internal);
    private int _id = 42;

    public enum Outcome
    {
        Recorded,
        SampledOut,
        TailRecorded,
    }

    [Params(Outcome.Recorded, Outcome.SampledOut, Outcome.TailRecorded)]
    public Outcome Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Tracing.Enable();
        SamplingSettings.Configure(Mode switch
        {
            Outcome.Recorded => new SamplingOptions { Sampler = HeadSamplerKind.AlwaysOn },
            Outcome.SampledOut => new SamplingOptions { Sampler = HeadSamplerKind.AlwaysOff },
            _ => new SamplingOptions { Spec = "head:0,tail:error" },
        });
    }

    [GlobalCleanup]
    public void Cleanup() => SamplingSettings.Reset();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Load(int id) => id * 2 + 1;

    [Benchmark(Description = "span site")]
    public int Site()
    {
        if (!Tracing.IsEnabled)
        {
            return Load(_id);
        }
        using SpanScope scope = SpanScope.Start(s_site);
        return Load(_id);
    }
}

/// <summary>
/// The head decision alone, and the tail stage's cost per span of a trace it drops or keeps.
/// dotnet run -c Release --project tests/Benchmarks -- --filter '*SamplingDecision*'
/// </summary>
[MemoryDiagnoser]
public class SamplingDecisionBenchmarks
{
    private readonly SpanRecord[] _dropped = new SpanRecord[4];
    private readonly SpanRecord[] _kept = new SpanRecord[4];
    private TailSampler _tail = null!;
    private long _exported;
    private ulong _next;

    [GlobalSetup]
    public void Setup()
    {
        HeadSampler.Configure(HeadSamplerKind.ParentBasedTraceIdRatio, 0.1);
        _tail = new TailSampler(new TailSamplerSettings { Policies = TailPolicies.Error | TailPolicies.P99 }, _ => _exported++);
        for (int i = 0; i < 4; i++)
        {
            _dropped[i] = Make(i, error: false);
            _kept[i] = Make(i, error: i == 1);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => SamplingSettings.Reset();

    private static SpanRecord Make(int i, bool error)
    {
        var span = new SpanRecord
        {
            SpanId = new SpanId((ulong)i + 1),
            ParentSpanId = i == 3 ? default : new SpanId(4),
            Name = i == 3 ? "GET /orders/{id}" : "db.get",
            StartUnixNano = 0,
            EndUnixNano = 1_000_000 + i,
            StatusCode = error ? SpanStatusCode.Error : SpanStatusCode.Unset,
        };
        span.SetAttribute("db.system.name", "postgresql");
        return span;
    }

    [Benchmark(Description = "head decision, root (traceidratio 0.1)")]
    public bool HeadDecision() => HeadSampler.ShouldSample(default, new TraceId(++_next * 0x9E3779B97F4A7C15UL, 1));

    [Benchmark(OperationsPerInvoke = 4, Description = "tail stage, per span, trace dropped")]
    public void TailDropped() => Offer(_dropped);

    [Benchmark(OperationsPerInvoke = 4, Description = "tail stage, per span, trace kept (error)")]
    public void TailKept() => Offer(_kept);

    private void Offer(SpanRecord[] trace)
    {
        var id = new TraceId(0x1234, ++_next);
        foreach (SpanRecord span in trace)
        {
            span.TraceId = id;
            _tail.Offer(span, 0);
        }
    }
}
