using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OtelGen.Export;
using OtelGen.Logging;
using OtelGen.Spans;
using OtelGen.Tests.Shared;

namespace OtelGen.Benchmarks;

/// <summary>
/// The two log export setups that <see cref="LogExportBenchmarks"/> and <see cref="LogExportFloodBenchmarks"/> compare. One
/// structured log call (<c>LoggerMessage.Define</c>, two values, an event id) through a logger factory whose only exporting
/// provider is either OtelGen's (what <c>AddOtelGen(o => o.ExportLogs = true)</c> registers, settings from the
/// <c>OTEL_EXPORTER_OTLP_LOGS_*</c>/<c>OTEL_BLRP_*</c> variables) or OpenTelemetry .NET's (<c>AddOpenTelemetry</c> with
/// <c>AddOtlpExporter</c>: its real <c>OtlpLogExporter</c> behind its batch processor), formatted message and scopes on
/// (as OtelGen sends them), the same batch settings on both sides (queue 2048, batch 512, 1 s delay), both sending
/// OTLP/HTTP protobuf to a real loopback HTTP/1.1 listener (<see cref="OtlpHttpSink"/>: 127.0.0.1, 200 to every POST,
/// counts the log records it receives) or, "collector down", to 127.0.0.1:9 where nothing listens.
/// "In a span": inside a span each side stamps on its records: an OtelGen span (an async span scope opened in the setup, so
/// the whole run is inside it) for OtelGen, an <c>Activity</c> (a listener samples it) for OpenTelemetry, whose logger reads
/// <c>Activity.Current</c>.
/// </summary>
public abstract class LogExportSetup
{
    protected const int MaxQueueSize = 2048;
    protected const int MaxExportBatchSize = 512;
    protected const int ScheduleDelayMilliseconds = 1000;
    private const string Unreachable = "http://127.0.0.1:9";

    protected static readonly Action<ILogger, int, string, Exception?> OrderPlaced =
        LoggerMessage.Define<int, string>(LogLevel.Information, new EventId(7, "OrderPlaced"), "Order {OrderId} placed by {Customer}");

    private OtlpHttpSink? _sink;
    private ServiceProvider? _services;
    private LoggerProvider? _openTelemetryProvider;
    private OtlpLogsExporter? _otelGenExporter;
    private AsyncSpanScope _otelGenSpan;
    private bool _inOtelGenSpan;
    private ActivitySource? _activitySource;
    private ActivityListener? _activityListener;
    private Activity? _activity;
    private string _name = "";

    protected ILogger Logger = null!;
    /// <summary>Log calls made (every benchmark method counts its own).</summary>
    protected long Calls;

    private Uri LogsEndpoint(bool collectorUp)
    {
        if (!collectorUp)
        {
            return new Uri(Unreachable + "/v1/logs");
        }
        _sink = new OtlpHttpSink();
        return new Uri(_sink.Endpoint, "/v1/logs");
    }

    protected void SetUpOpenTelemetry(bool collectorUp, bool inSpan)
    {
        _name = "OpenTelemetry .NET" + (collectorUp ? ", collector up" : ", collector down") + (inSpan ? ", in an Activity" : "");
        Uri endpoint = LogsEndpoint(collectorUp);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
            o.AddOtlpExporter((exporter, processor) =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                processor.ExportProcessorType = ExportProcessorType.Batch;
                processor.BatchExportProcessorOptions.MaxQueueSize = MaxQueueSize;
                processor.BatchExportProcessorOptions.MaxExportBatchSize = MaxExportBatchSize;
                processor.BatchExportProcessorOptions.ScheduledDelayMilliseconds = ScheduleDelayMilliseconds;
            });
        }));
        _services = services.BuildServiceProvider();
        Logger = _services.GetRequiredService<ILoggerFactory>().CreateLogger("Shop.Orders");
        _openTelemetryProvider = _services.GetRequiredService<LoggerProvider>();
        if (inSpan)
        {
            _activitySource = new ActivitySource("Shop");
            _activityListener = new ActivityListener
            {
                ShouldListenTo = source => source == _activitySource,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(_activityListener);
            _activity = _activitySource.StartActivity("checkout"); // current for the rest of the run on this thread
        }
    }

    protected void SetUpOtelGen(bool collectorUp, bool inSpan)
    {
        _name = "OtelGen" + (collectorUp ? ", collector up" : ", collector down") + (inSpan ? ", in an OtelGen span" : "");
        Uri endpoint = LogsEndpoint(collectorUp);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", endpoint.ToString());
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf");
        Environment.SetEnvironmentVariable("OTEL_BLRP_MAX_QUEUE_SIZE", MaxQueueSize.ToString());
        Environment.SetEnvironmentVariable("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", MaxExportBatchSize.ToString());
        Environment.SetEnvironmentVariable("OTEL_BLRP_SCHEDULE_DELAY", ScheduleDelayMilliseconds.ToString());
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddOtelGen(o => o.ExportLogs = true));
        _services = services.BuildServiceProvider();
        Logger = _services.GetRequiredService<ILoggerFactory>().CreateLogger("Shop.Orders");
        _otelGenExporter = _services.GetServices<ILoggerProvider>().OfType<OtelGenLoggerProvider>().Single().Exporter;
        if (inSpan)
        {
            _otelGenSpan = Tracing.StartAsyncSpan("checkout"); // current for the rest of the run on this thread
            _inOtelGenSpan = true;
        }
    }

    /// <summary>Sends what waits, on either side, and returns when it is sent.</summary>
    protected void Flush()
    {
        _otelGenExporter?.Flush();
        _openTelemetryProvider?.ForceFlush(10_000);
    }

    /// <summary>The logging thread's bytes per call over <paramref name="count"/> calls.</summary>
    protected double ThreadBytesPerCall(int count)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            OrderPlaced(Logger, 1234, "ada", null);
        }
        Calls += count;
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)count;
    }

    /// <summary>Prints what happened to the calls, stops everything (both sides send what waits).</summary>
    protected void Report(string threadBytes)
    {
        string span = _activity is not null ? "; Activity.Current " + (Activity.Current == _activity ? "set" : "NOT set")
            : _inOtelGenSpan ? "; OtelGen span " + (Tracing.CurrentContext.IsValid ? "current" : "NOT current") : "";
        _activity?.Dispose();
        _activityListener?.Dispose();
        _activitySource?.Dispose();
        if (_inOtelGenSpan)
        {
            _otelGenSpan.Dispose();
        }
        var stopwatch = Stopwatch.StartNew();
        _services?.Dispose(); // both sides send what waits
        Console.WriteLine($"// {_name}: {threadBytes}{span}");
        if (_otelGenExporter is { } exporter)
        {
            Console.WriteLine($"// {_name}: exporter queued {exporter.Enqueued}, exported {exporter.Exported}, dropped (queue full) {exporter.DroppedQueueFull}, failed {exporter.DroppedFailed}");
        }
        if (_sink is { } sink)
        {
            Console.WriteLine($"// {_name}: {Calls} calls, the listener received {sink.LogRecords} records ({100.0 * sink.LogRecords / Calls:F1} %, " +
                $"{sink.LogRecordsWithTraceId} with a trace id) in {sink.Requests} requests, {sink.Bytes / Math.Max(1, sink.LogRecords)} B a record; dispose took {stopwatch.ElapsedMilliseconds} ms");
            sink.Dispose();
        }
        else
        {
            Console.WriteLine($"// {_name}: {Calls} calls; dispose took {stopwatch.ElapsedMilliseconds} ms");
        }
    }
}

/// <summary>
/// The log call while the queue has room (<see cref="LogExportSetup"/> for the two setups): each iteration is 1,536 calls
/// (three batches, under the queue's 2,048), and after each iteration, untimed, each side sends what waits and returns when
/// the listener has it, so every measured call is queued while the exporter's thread encodes and posts the batches that
/// filled on the other core. Both sides are woken at a full batch. The Allocated column counts the whole process
/// (BenchmarkDotNet reads <c>GC.GetTotalAllocatedBytes</c>); the cleanup prints the logging thread's own bytes per call
/// (<c>GC.GetAllocatedBytesForCurrentThread</c> around every iteration), its CPU time per call (the median iteration; on a
/// shared machine the time BenchmarkDotNet measures also holds the time other processes had the core) and how many of the
/// calls reached the listener.
/// Run: dotnet run -c Release --project tests/Benchmarks -- --filter '*LogExport*' --job short --memory
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Burst)]
[IterationCount(40)]
[WarmupCount(10)]
public class LogExportBenchmarks : LogExportSetup
{
    private const int Burst = 3 * MaxExportBatchSize;

    private long _threadBytes;
    private long _threadBytesAt;
    private long _measuredCalls;
    private long _callsAt;
    private long _cpuAt;
    private readonly System.Collections.Generic.List<double> _cpuPerCall = new();

    [GlobalSetup(Targets = new[] { nameof(OpenTelemetryQueued) })]
    public void SetupOpenTelemetry()
    {
        SetUpOpenTelemetry(collectorUp: true, inSpan: false);
        WarmUp();
    }

    [GlobalSetup(Targets = new[] { nameof(OtelGenQueued) })]
    public void SetupOtelGen()
    {
        SetUpOtelGen(collectorUp: true, inSpan: false);
        WarmUp();
    }

    [GlobalSetup(Targets = new[] { nameof(OpenTelemetryQueuedInSpan) })]
    public void SetupOpenTelemetryInSpan()
    {
        SetUpOpenTelemetry(collectorUp: true, inSpan: true);
        WarmUp();
    }

    [GlobalSetup(Targets = new[] { nameof(OtelGenQueuedInSpan) })]
    public void SetupOtelGenInSpan()
    {
        SetUpOtelGen(collectorUp: true, inSpan: true);
        WarmUp();
    }

    // An iteration is short (1,536 calls), so BenchmarkDotNet's own warm-up would measure code the JIT has not finished
    // optimizing (tiering waits until no new method has been compiled for 100 ms): 300 bursts, each sent, with pauses.
    private void WarmUp()
    {
        for (int round = 0; round < 3; round++)
        {
            for (int burst = 0; burst < 100; burst++)
            {
                for (int i = 0; i < Burst; i++)
                {
                    OrderPlaced(Logger, 1234, "ada", null);
                }
                Calls += Burst;
                Flush();
            }
            Thread.Sleep(500);
        }
    }

    [IterationSetup]
    public void BeforeIteration()
    {
        _callsAt = Calls;
        _threadBytesAt = GC.GetAllocatedBytesForCurrentThread();
        _cpuAt = 0; // read at the iteration's first call: BenchmarkDotNet collects garbage between the setup and the first call
    }

    private void Call()
    {
        if (_cpuAt == 0)
        {
            _cpuAt = ThreadCpu.Nanoseconds();
        }
        Calls++;
        OrderPlaced(Logger, 1234, "ada", null);
    }

    [IterationCleanup]
    public void AfterIteration()
    {
        long cpu = ThreadCpu.Nanoseconds() - _cpuAt;
        _threadBytes += GC.GetAllocatedBytesForCurrentThread() - _threadBytesAt;
        long calls = Calls - _callsAt;
        _measuredCalls += calls;
        if (_cpuAt > 0 && cpu >= 0 && calls > 0)
        {
            _cpuPerCall.Add((double)cpu / calls);
        }
        Flush();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cpuPerCall.Sort();
        string cpu = _cpuPerCall.Count == 0 ? "no thread CPU clock"
            : $"logging thread CPU time per call: median {_cpuPerCall[_cpuPerCall.Count / 2]:F1} ns, quartiles {_cpuPerCall[_cpuPerCall.Count / 4]:F1}-{_cpuPerCall[3 * _cpuPerCall.Count / 4]:F1} ns over {_cpuPerCall.Count} iterations";
        Report($"logging thread allocated {(double)_threadBytes / Math.Max(1, _measuredCalls):F1} B per call over {_measuredCalls} calls in iterations; {cpu}");
    }

    [Benchmark(Baseline = true, Description = "OpenTelemetry .NET 1.21.0, queue with room")]
    public void OpenTelemetryQueued() => Call();

    [Benchmark(Description = "OtelGen, queue with room")]
    public void OtelGenQueued() => Call();

    [Benchmark(Description = "OpenTelemetry .NET 1.21.0, queue with room, in an Activity")]
    public void OpenTelemetryQueuedInSpan() => Call();

    [Benchmark(Description = "OtelGen, queue with room, in an OtelGen span")]
    public void OtelGenQueuedInSpan() => Call();
}

/// <summary>
/// The calling thread's CPU time (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, nanoseconds; -1 elsewhere): time the
/// thread ran, without the time other processes of a shared machine had its core.
/// </summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    public static long Nanoseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }
        return ClockGetTime(ClockThreadCpuTimeId, out TimeSpec time) == 0 ? time.Seconds * 1_000_000_000 + time.Nanoseconds : -1;
    }
}

/// <summary>
/// The log call in a flood (<see cref="LogExportSetup"/> for the two setups): one thread logs as fast as it can for the
/// whole run. Neither side's exporter keeps up with that on this 2-core machine, so with the collector up most calls find
/// the queue full (the cleanup prints how many reached the listener); with the collector down (127.0.0.1:9) every call
/// after the first 2,048 does. The cleanup prints the logging thread's own bytes per call over 1,000 calls after a 2 s pause.
/// Run: dotnet run -c Release --project tests/Benchmarks -- --filter '*LogExport*' --job short --memory
/// </summary>
[MemoryDiagnoser]
public class LogExportFloodBenchmarks : LogExportSetup
{
    [GlobalSetup(Targets = new[] { nameof(OpenTelemetryCollectorUp) })]
    public void SetupOpenTelemetryUp() => SetUpOpenTelemetry(collectorUp: true, inSpan: false);

    [GlobalSetup(Targets = new[] { nameof(OtelGenCollectorUp) })]
    public void SetupOtelGenUp() => SetUpOtelGen(collectorUp: true, inSpan: false);

    [GlobalSetup(Targets = new[] { nameof(OpenTelemetryCollectorDown) })]
    public void SetupOpenTelemetryDown() => SetUpOpenTelemetry(collectorUp: false, inSpan: false);

    [GlobalSetup(Targets = new[] { nameof(OtelGenCollectorDown) })]
    public void SetupOtelGenDown() => SetUpOtelGen(collectorUp: false, inSpan: false);

    [GlobalCleanup]
    public void Cleanup()
    {
        Thread.Sleep(2 * ScheduleDelayMilliseconds);
        Report($"logging thread allocated {ThreadBytesPerCall(1000):F1} B per call (1,000 calls after a 2 s pause)");
    }

    [Benchmark(Baseline = true, Description = "OpenTelemetry .NET 1.21.0, flood, collector up")]
    public void OpenTelemetryCollectorUp()
    {
        Calls++;
        OrderPlaced(Logger, 1234, "ada", null);
    }

    [Benchmark(Description = "OtelGen, flood, collector up")]
    public void OtelGenCollectorUp()
    {
        Calls++;
        OrderPlaced(Logger, 1234, "ada", null);
    }

    [Benchmark(Description = "OpenTelemetry .NET 1.21.0, collector down (127.0.0.1:9)")]
    public void OpenTelemetryCollectorDown()
    {
        Calls++;
        OrderPlaced(Logger, 1234, "ada", null);
    }

    [Benchmark(Description = "OtelGen, collector down (127.0.0.1:9)")]
    public void OtelGenCollectorDown()
    {
        Calls++;
        OrderPlaced(Logger, 1234, "ada", null);
    }
}
