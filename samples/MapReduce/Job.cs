using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OtelGen;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Samples.MapReduce;

/// <summary>What a job is asked to do; <paramref name="AgentEnvironment"/> is added to each agent's environment.</summary>
public sealed record JobArgs(long Items, int Agents, int Work, IReadOnlyCollection<long> PoisonedItems, int CrashAgent, bool Quiet,
    IReadOnlyDictionary<string, string>? AgentEnvironment = null);

/// <summary>What a job reports on its last stdout line (<c>@summary {json}</c>).</summary>
public sealed record JobSummary(
    string? TraceId, string? JobSpan, string? MapSpan, string? ReduceSpan, long Items, long FailedItems, List<long> FailedItemIds,
    List<int> FailedAgents, long Result, long Spans, List<AgentResult> AgentResults, double Seconds, double AgentsCpuMs = double.NaN);

/// <summary>
/// A map/reduce job: splits the items across agent processes, hands each the trace through its
/// environment only, waits, then reduces their results in a span that links to each map task it consumed.
/// </summary>
public static class Job
{
    /// <summary>The prefix of the summary line.</summary>
    public const string SummaryPrefix = "@summary ";

    private static readonly SpanDescriptor s_job = new("mapreduce.job.execute", ActivityKind.Internal);
    private static readonly SpanDescriptor s_map = new("mapreduce.phase.map", ActivityKind.Internal);
    private static readonly SpanDescriptor s_reduce = new("mapreduce.phase.reduce", ActivityKind.Internal);

    /// <summary>Runs the job, prints the summary line; 0 when everything succeeded, 2 when it finished with failures.</summary>
    public static int Run(JobArgs args)
    {
        JobSummary summary = Execute(args, spanCountAfter: true);
        Console.Out.WriteLine(SummaryPrefix + JsonSerializer.Serialize(summary, MapReduceJson.Default.JobSummary));
        Console.Out.Flush();
        return summary.FailedItems == 0 && summary.FailedAgents.Count == 0 ? 0 : 2;
    }

    /// <summary>Runs the job and returns what happened.</summary>
    public static JobSummary Execute(JobArgs args, bool spanCountAfter)
    {
        var clock = Stopwatch.StartNew();
        ILoggerFactory logs = ConsoleLogs.Create();
        ILogger log = logs.CreateLogger("MapReduce.Job");
        string? traceId, jobSpan, mapSpan, reduceSpan;
        List<AgentResult> results;
        var failedAgents = new List<int>();
        long total = 0;
        double agentsCpu;
        {
            using SpanScope job = SpanScope.Start(s_job);
            job.SetAttribute("mapreduce.job.items", args.Items);
            job.SetAttribute("mapreduce.job.agents", args.Agents);
            traceId = job.IsRecording ? job.Context.TraceId.ToHexString() : null;
            jobSpan = job.IsRecording ? job.Context.SpanId.ToHexString() : null;
            log.LogInformation("job starts: {Items} items on {Agents} agents", args.Items, args.Agents);

            {
                using SpanScope map = SpanScope.Start(s_map);
                mapSpan = map.IsRecording ? map.Context.SpanId.ToHexString() : null;
                double childrenCpu = ChildProcessCpu.Milliseconds();
                results = RunAgents(args, log);
                agentsCpu = ChildProcessCpu.Milliseconds() - childrenCpu;
                foreach (AgentResult result in results.Where(r => r.Error is not null))
                {
                    failedAgents.Add(result.Agent);
                    Tracing.CurrentSpan.AddEvent("mapreduce.agent.failed", new KeyValue[] { new("mapreduce.agent.id", result.Agent), new("mapreduce.agent.error", result.Error!) });
                    log.LogWarning("agent {Agent} failed ({Error}); the job goes on without its items", result.Agent, result.Error);
                }
                map.SetAttribute("mapreduce.agents.failed", failedAgents.Count);
            }

            {
                using SpanScope reduce = SpanScope.Start(s_reduce);
                reduceSpan = reduce.IsRecording ? reduce.Context.SpanId.ToHexString() : null;
                int consumed = 0;
                foreach (AgentResult result in results.Where(r => r.Error is null))
                {
                    total += result.Sum;
                    consumed++;
                    // The reduce consumes each agent's map result: link to the map task that produced it.
                    if (TraceParent.TryParse(result.Task, null, out SpanContext task))
                    {
                        Tracing.CurrentSpan.AddLink(task, new KeyValue[] { new("mapreduce.agent.id", result.Agent), new("mapreduce.agent.items", result.Items) });
                    }
                }
                reduce.SetAttribute("mapreduce.results.consumed", consumed);
                reduce.SetAttribute("mapreduce.result", total);
            }

            long failedItems = results.Sum(r => r.Failed);
            job.SetAttribute("mapreduce.items.failed", failedItems);
            job.SetAttribute("mapreduce.agents.failed", failedAgents.Count);
            log.LogInformation("job done: result {Result}, {Failed} failed items, {FailedAgents} failed agents", total, failedItems, failedAgents.Count);
        }
        logs.Dispose();
        // No Tracing.Flush: the job's own three spans are exported when the process exits.
        return new JobSummary(traceId, jobSpan, mapSpan, reduceSpan, args.Items, results.Sum(r => r.Failed), results.SelectMany(r => r.FailedItems).ToList(),
            failedAgents, total, Tracing.Ring.Written, results, clock.Elapsed.TotalSeconds, agentsCpu);
    }

    private static List<AgentResult> RunAgents(JobArgs args, ILogger log)
    {
        // Inside the map phase span: this is the context each agent continues.
        IReadOnlyList<KeyValuePair<string, string>> carrier = TraceContext.ToEnvironment();
        var agents = new List<(int Id, Process Process, List<string> Results)>();
        long per = (args.Items + args.Agents - 1) / args.Agents;
        for (int id = 0; id < args.Agents; id++)
        {
            long from = Math.Min(args.Items, id * per);
            long to = Math.Min(args.Items, from + per);
            ProcessStartInfo info = AgentStartInfo(id, from, to, args, carrier);
            var process = new Process { StartInfo = info };
            var resultLines = new List<string>();
            int agentId = id;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }
                if (e.Data.StartsWith(Agent.ResultPrefix, StringComparison.Ordinal))
                {
                    lock (resultLines)
                    {
                        resultLines.Add(e.Data[Agent.ResultPrefix.Length..]);
                    }
                }
                else if (!args.Quiet)
                {
                    Console.Out.WriteLine($"[agent {agentId}] {e.Data}");
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine($"[agent {agentId}] {e.Data}");
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            agents.Add((id, process, resultLines));
        }

        var results = new List<AgentResult>();
        foreach ((int id, Process process, List<string> lines) in agents)
        {
            process.WaitForExit(); // also waits for the redirected output to drain
            AgentResult? result = null;
            lock (lines)
            {
                if (lines.Count > 0)
                {
                    result = JsonSerializer.Deserialize(lines[^1], MapReduceJson.Default.AgentResult);
                }
            }
            result ??= new AgentResult(id, 0, 0, new List<long>(), 0, null, null, 0, $"exited with code {process.ExitCode} without a result");
            if (result.Error is null && process.ExitCode != 0)
            {
                result = result with { Error = $"exited with code {process.ExitCode}" };
            }
            results.Add(result);
            process.Dispose();
        }
        return results;
    }

    private static ProcessStartInfo AgentStartInfo(int id, long from, long to, JobArgs args, IReadOnlyList<KeyValuePair<string, string>> carrier)
    {
        // `dotnet MapReduce.dll` runs under the dotnet host; the apphost (./MapReduce) and the native
        // executable (`dotnet publish -r linux-x64`, NativeAOT) run themselves.
        string host = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(Job).Assembly.GetName().Name + ".dll"));
        }
        foreach (string arg in new[] { "agent", "--agent-id", id.ToString(), "--from", from.ToString(), "--to", to.ToString(), "--work", args.Work.ToString() })
        {
            info.ArgumentList.Add(arg);
        }
        IEnumerable<long> poisoned = args.PoisonedItems.Where(i => i >= from && i < to);
        if (poisoned.Any())
        {
            info.ArgumentList.Add("--poison");
            info.ArgumentList.Add(string.Join(",", poisoned));
        }
        if (args.CrashAgent == id)
        {
            info.ArgumentList.Add("--crash");
        }
        // The context goes in the child's environment only (never this process's own).
        info.Environment.Remove("TRACEPARENT");
        info.Environment.Remove("TRACESTATE");
        info.Environment.Remove("BAGGAGE");
        foreach (KeyValuePair<string, string> kv in carrier.Concat(args.AgentEnvironment ?? Enumerable.Empty<KeyValuePair<string, string>>()))
        {
            info.Environment[kv.Key] = kv.Value;
        }
        if (!Tracing.IsEnabled)
        {
            info.Environment["OTEL_SDK_DISABLED"] = "true";
        }
        return info;
    }
}
