using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Samples.MapReduce;
using OtelGen.TestSupport;
using Xunit;

namespace OtelGen.Samples.Tests;

/// <summary>The map/reduce sample as a user runs it: `dotnet MapReduce.dll job`, agents as child processes, spans at a real OTLP listener.</summary>
public sealed class MapReduceTests : IClassFixture<NativeMapReduce>
{
    private readonly NativeMapReduce _native;

    public MapReduceTests(NativeMapReduce native) => _native = native;

    private static Task<(int ExitCode, string Output, JobSummary Summary)> RunJobAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsync(SampleProcess.StartInfo("MapReduce.dll", new[] { "job" }.Concat(args), environment));

    private static async Task<(int ExitCode, string Output, JobSummary Summary)> RunAsync(ProcessStartInfo info)
    {
        (Process process, StringBuilder output) = SampleProcess.Start(info);
        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException("the job did not finish in 5 minutes:\n" + output);
            }
            process.WaitForExit(); // drains the redirected output
            string text;
            lock (output)
            {
                text = output.ToString();
            }
            string? line = text.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith(Job.SummaryPrefix, StringComparison.Ordinal));
            Assert.True(line is not null, "the job printed no summary:\n" + text);
            return (process.ExitCode, text, JsonSerializer.Deserialize<JobSummary>(line![Job.SummaryPrefix.Length..])!);
        }
    }

    private static Dictionary<string, string> Exporting(OtlpListener listener) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = listener.Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json",
        ["OTEL_SERVICE_NAME"] = "mapreduce-test",
    };

    [Fact]
    public async Task Agents_JoinTheJobsTrace_ThroughTheirEnvironmentOnly_AndLogLinesCarryTheIds()
    {
        (int exit, string output, JobSummary summary) = await RunJobAsync(new[] { "--items", "300", "--agents", "3", "--work", "10", "--poison", "7" });

        Assert.Equal(2, exit); // finished, with a failed item
        Assert.NotNull(summary.TraceId);
        Assert.Equal(3, summary.AgentResults.Count);
        foreach (AgentResult agent in summary.AgentResults)
        {
            // Each agent was started with the map phase's context in TRACEPARENT, and its map task continued it.
            // The job started the trace, so the random-trace-id flag is set beside sampled (W3C Level 2).
            Assert.Equal($"00-{summary.TraceId}-{summary.MapSpan}-03", agent.Parent);
            Assert.StartsWith($"00-{summary.TraceId}-", agent.Task);
            Assert.Null(agent.Error);
            Assert.Equal(100, agent.Items);
        }
        Assert.Equal(new List<long> { 7 }, summary.FailedItemIds);
        long expected = Enumerable.Range(0, 300).Where(i => i != 7).Sum(i => Agent.Map(i, 10, new HashSet<long>()));
        Assert.Equal(expected, summary.Result);

        // Logs through Microsoft.Extensions.Logging carry the ids (OtelGen.Logging, .NET's scope text): the job's
        // lines (its span is the root), an agent's line (its task span, child of the map phase in the other
        // process), and an agent's failure line (an item span, child of that agent's task span).
        Assert.Contains($"=> SpanId:{summary.JobSpan}, TraceId:{summary.TraceId}, ParentId:0000000000000000 job starts", output);
        Assert.Contains($"=> SpanId:{summary.JobSpan}, TraceId:{summary.TraceId}, ParentId:0000000000000000 job done", output);
        string[] taskSpans = summary.AgentResults.Select(a => a.Task!.Split('-')[2]).ToArray();
        string failure = Assert.Single(output.Split('\n'), l => l.Contains("item 7 failed"));
        Assert.Contains($", TraceId:{summary.TraceId}, ParentId:", failure);
        Assert.Contains(taskSpans, task => failure.Contains($"ParentId:{task} item 7 failed"));
        string agentZeroTask = summary.AgentResults.Single(a => a.Agent == 0).Task!.Split('-')[2];
        Assert.Contains($"=> SpanId:{agentZeroTask}, TraceId:{summary.TraceId}, ParentId:{summary.MapSpan} agent 0 maps items", output);
    }

    [Fact]
    public async Task AJobOfAHundredThousandSpans_ExportsEverySpan_ToARealOtlpListener_AtDefaultSettings()
    {
        using var listener = new OtlpListener();
        await AssertEverySpanOfAHundredThousandArrives(listener, SampleProcess.StartInfo("MapReduce.dll", HundredThousandItems, Exporting(listener)));
    }

    [Fact]
    public async Task AsANativeExecutable_AJobOfAHundredThousandSpans_ExportsEverySpan()
    {
        // The sample published with NativeAOT (no JIT: how short-lived agents avoid compiling the runtime and
        // the exporter at every start); the job starts its agents from the same executable.
        using var listener = new OtlpListener();
        await AssertEverySpanOfAHundredThousandArrives(listener, SampleProcess.ExecutableStartInfo(_native.Executable, HundredThousandItems, Exporting(listener)));
    }

    private static readonly string[] HundredThousandItems = { "job", "--items", "100000", "--agents", "4", "--work", "10", "--quiet" };

    private static async Task AssertEverySpanOfAHundredThousandArrives(OtlpListener listener, ProcessStartInfo jobProcess)
    {
        // Default settings: no ring, queue or timeout variables. Each agent records its 25,001 spans in a few
        // milliseconds (--work 10), far faster than any exporter drains, so the ring holds the burst; neither
        // the job nor the agents call Tracing.Flush: what reaches the listener is the exit flush's doing.
        (int exit, string output, JobSummary summary) = await RunAsync(jobProcess);
        Assert.Equal(0, exit);
        Assert.DoesNotContain("[otelgen] warning", output);

        // Every span each process recorded (the ring's write count) must arrive: job + agents.
        long recorded = summary.Spans + summary.AgentResults.Sum(a => a.Spans);
        Assert.Equal(100_000 + 3 + 4, recorded);
        int received = listener.WaitFor(recorded, TimeSpan.FromSeconds(60));
        Assert.True(listener.Refused == 0, $"the listener refused {listener.Refused} requests:\n{listener.Refusals}");
        Assert.True(received == recorded, $"recorded {recorded} spans, the listener received {received} in {listener.Requests} requests ({listener.HungUp} hung up before the answer)\n{Tail(output)}");

        List<ReceivedSpan> spans = listener.Spans;
        Assert.All(spans, s => Assert.Equal(summary.TraceId, s.TraceId));
        Assert.Equal(spans.Count, spans.Select(s => s.SpanId).Distinct().Count());
        Assert.Equal(100_000, spans.Count(s => s.Name == "mapreduce.agent.execute"));
        ReceivedSpan job = Assert.Single(spans, s => s.Name == "mapreduce.job.execute");
        ReceivedSpan map = Assert.Single(spans, s => s.Name == "mapreduce.phase.map");
        ReceivedSpan reduce = Assert.Single(spans, s => s.Name == "mapreduce.phase.reduce");
        List<ReceivedSpan> tasks = spans.Where(s => s.Name == "mapreduce.map.task").ToList();
        Assert.Equal(4, tasks.Count);
        Assert.Equal(job.SpanId, map.ParentSpanId);
        Assert.Equal(job.SpanId, reduce.ParentSpanId);
        Assert.All(tasks, t => Assert.Equal(map.SpanId, t.ParentSpanId));
        var taskIds = tasks.Select(t => t.SpanId).ToHashSet();
        Assert.All(spans.Where(s => s.Name == "mapreduce.agent.execute"), s => Assert.Contains(s.ParentSpanId, taskIds));
        Assert.Equal(taskIds, reduce.Links.Select(l => l.SpanId).ToHashSet());
        Assert.All(reduce.Links, l => Assert.Equal(summary.TraceId, l.TraceId));
    }

    [Fact]
    public async Task AFailingItemAndAFailingAgent_AreErrorSpans_AndTheJobGoesOnAndReportsThem()
    {
        using var listener = new OtlpListener();
        var environment = Exporting(listener);
        // The job itself continues a trace it was handed (as a CI step or a scheduler would).
        string callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        environment["TRACEPARENT"] = $"00-{callerTrace}-00f067aa0ba902b7-01";
        environment["BAGGAGE"] = "run=nightly";
        (int exit, string output, JobSummary summary) = await RunJobAsync(new[] { "--items", "200", "--agents", "2", "--work", "10", "--poison", "5", "--crash-agent", "1" }, environment);

        Assert.Equal(2, exit);
        Assert.Equal(callerTrace, summary.TraceId);
        Assert.Equal(new List<int> { 1 }, summary.FailedAgents);
        Assert.Equal(new List<long> { 5 }, summary.FailedItemIds);
        Assert.Contains("agent 1 failed", output);
        AgentResult crashed = summary.AgentResults.Single(a => a.Agent == 1);
        Assert.Contains("lost its input", crashed.Error);

        long recorded = summary.Spans + summary.AgentResults.Sum(a => a.Spans);
        int received = listener.WaitFor(recorded, TimeSpan.FromSeconds(30));
        Assert.True(received == recorded, $"recorded {recorded} spans, the listener received {received}\n{Tail(output)}");
        List<ReceivedSpan> spans = listener.Spans;

        ReceivedSpan job = Assert.Single(spans, s => s.Name == "mapreduce.job.execute");
        Assert.Equal("00f067aa0ba902b7", job.ParentSpanId);
        ReceivedSpan poisoned = Assert.Single(spans, s => s.Name == "mapreduce.agent.execute" && s.Attributes.GetValueOrDefault("mapreduce.item.id") == "5");
        Assert.Equal(2, poisoned.StatusCode);
        Assert.Contains("exception", poisoned.EventNames);
        Assert.Equal("System.InvalidOperationException", poisoned.Attributes["error.type"]);
        ReceivedSpan failedTask = Assert.Single(spans, s => s.Name == "mapreduce.map.task" && s.Attributes.GetValueOrDefault("mapreduce.agent.id") == "1");
        Assert.Equal(2, failedTask.StatusCode);
        Assert.Contains("exception", failedTask.EventNames);
        ReceivedSpan map = Assert.Single(spans, s => s.Name == "mapreduce.phase.map");
        Assert.Contains("mapreduce.agent.failed", map.EventNames);
        ReceivedSpan reduce = Assert.Single(spans, s => s.Name == "mapreduce.phase.reduce");
        ReceivedSpan goodTask = Assert.Single(spans, s => s.Name == "mapreduce.map.task" && s.Attributes.GetValueOrDefault("mapreduce.agent.id") == "0");
        Assert.Equal(new[] { goodTask.SpanId }, reduce.Links.Select(l => l.SpanId).ToArray());
        Assert.Equal(0, spans.Count(s => s.StatusCode == 2 && s.Name is "mapreduce.job.execute" or "mapreduce.phase.reduce"));
    }

    private static string Tail(string output) => output.Length > 4000 ? output[^4000..] : output;
}

/// <summary>
/// The map/reduce sample published as a native executable (`dotnet publish -r linux-x64`, NativeAOT), once
/// for the class. Its own artifacts folder keeps the build apart from the repository's bin and obj, which
/// other test assemblies build in at the same time.
/// </summary>
public sealed class NativeMapReduce : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "otelgen-mapreduce-native-" + Guid.NewGuid().ToString("N"));

    public NativeMapReduce()
    {
        string project = Path.Combine(RepoPaths.Root, "samples", "MapReduce", "MapReduce.csproj");
        string output = Path.Combine(_work, "publish");
        Command.Run(SampleProcess.Dotnet,
            new[] { "publish", project, "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "--artifacts-path", Path.Combine(_work, "artifacts"), "-o", output },
            RepoPaths.Root, timeout: TimeSpan.FromMinutes(10));
        Executable = Path.Combine(output, OperatingSystem.IsWindows() ? "MapReduce.exe" : "MapReduce");
        Assert.True(File.Exists(Executable), "dotnet publish made no native executable at " + Executable);
    }

    /// <summary>The native executable.</summary>
    public string Executable { get; }

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }
}
