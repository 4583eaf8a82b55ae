using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OtelGen;
using OtelGen.Jobs;
using OtelGen.Spans;

namespace OtelGen.Benchmarks;

/// <summary>
/// What the job lifecycle costs per job next to a plain span: the lifecycle path should allocate nothing
/// without promotion. Run by hand:
/// dotnet run -c Release --project tests/Benchmarks -- --filter '*JobsBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class JobsBenchmarks
{
    private static readonly SpanDescriptor Plain = new("step.plain", ActivityKind.Internal);
    private static readonly SpanDescriptor Step = JobNames.Step("bench");

    [GlobalSetup]
    public void Setup()
    {
        Tracing.Enable();
        JobSettings.DebugJobs = false;
        JobSettings.PromoteQueueMs = 5;
        JobSettings.PromoteParkMs = 5;
    }

    [Benchmark(Baseline = true, Description = "plain span (SpanScope)")]
    public void PlainSpan()
    {
        using SpanScope scope = SpanScope.Start(Plain);
    }

    [Benchmark(Description = "job: enqueue, take, run, complete")]
    public void JobLifecycle()
    {
        Job job = Job.Enqueue(Step, "bench", 1);
        job.Taken(0);
        using (job.Run())
        {
        }
        job.Completed(true);
    }

    [Benchmark(Description = "job with one park and a .resume segment")]
    public void JobWithPark()
    {
        Job job = Job.Enqueue(Step, "bench", 1);
        job.Taken(0);
        using (job.Run())
        {
        }
        job.Parked(ParkCause.IoWait, "need", 1, 4);
        job.Resumed();
        using (job.Run())
        {
        }
        job.Completed(true);
    }

    [Benchmark(Description = "job with park, everything promoted (OTELGEN_DEBUG_JOBS)")]
    public void JobWithParkPromoted()
    {
        JobSettings.DebugJobs = true;
        Job job = Job.Enqueue(Step, "bench", 1);
        job.Taken(0);
        using (job.Run())
        {
        }
        job.Parked(ParkCause.IoWait, "need", 1, 4);
        job.Resumed();
        using (job.Run())
        {
        }
        job.Completed(true);
        JobSettings.DebugJobs = false;
    }
}
