using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OtelGen;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Samples.MapReduce;

/// <summary>What an agent process is asked to do.</summary>
public sealed record AgentArgs(int AgentId, long From, long To, int Work, IReadOnlySet<long> PoisonedItems, bool Crash);

/// <summary>What an agent reports back on its last stdout line (<c>@result {json}</c>).</summary>
public sealed record AgentResult(int Agent, long Items, long Failed, List<long> FailedItems, long Sum, string? Task, string? Parent, long Spans, string? Error, double CpuMs = 0);

/// <summary>
/// A map agent: a child process that maps a range of items. It learned its trace from the environment
/// (TRACEPARENT/TRACESTATE/BAGGAGE, read by the runtime at start), so its spans are children of the
/// job's map phase without a line of propagation code here.
/// </summary>
public static class Agent
{
    /// <summary>The prefix of the result line the job reads.</summary>
    public const string ResultPrefix = "@result ";

    private static readonly SpanDescriptor s_task = new("mapreduce.map.task", ActivityKind.Internal);

    /// <summary>Maps the items, one <c>mapreduce.agent.execute</c> span each; prints the result; 0 unless the agent itself failed.</summary>
    public static int Run(AgentArgs args)
    {
        // The agent id never changes in this process: a constant attribute of the site, set once.
        var itemSite = new SpanDescriptor("mapreduce.agent.execute", ActivityKind.Internal, new KeyValue[] { new("mapreduce.agent.id", args.AgentId) });
        ILoggerFactory logs = ConsoleLogs.Create();
        ILogger log = logs.CreateLogger("MapReduce.Agent");
        long sum = 0;
        long done = 0;
        var failedItems = new List<long>();
        string? error = null;
        string? task;
        {
            using SpanScope span = SpanScope.Start(s_task);
            span.SetAttribute("mapreduce.agent.id", args.AgentId);
            span.SetAttribute("mapreduce.items.from", args.From);
            span.SetAttribute("mapreduce.items.to", args.To);
            task = span.IsRecording ? span.Context.ToTraceParent() : null;
            log.LogInformation("agent {Agent} maps items [{From}, {To})", args.AgentId, args.From, args.To);
            try
            {
                for (long item = args.From; item < args.To; item++)
                {
                    if (args.Crash && item == args.From + (args.To - args.From) / 2)
                    {
                        throw new InvalidOperationException($"agent {args.AgentId} lost its input at item {item}");
                    }
                    using SpanScope itemSpan = SpanScope.Start(itemSite);
                    itemSpan.SetAttribute("mapreduce.item.id", item);
                    try
                    {
                        sum += Map(item, args.Work, args.PoisonedItems);
                    }
                    catch (Exception ex)
                    {
                        // The item's span is ERROR with the exception; the agent goes on with the next item.
                        itemSpan.RecordException(ex);
                        failedItems.Add(item);
                        log.LogError("item {Item} failed: {Error}", item, ex.Message);
                    }
                    done++;
                }
                span.SetAttribute("mapreduce.items.failed", failedItems.Count);
                log.LogInformation("agent {Agent} mapped {Count} items, {Failed} failed", args.AgentId, done, failedItems.Count);
            }
            catch (Exception ex)
            {
                // The agent itself failed: its span is ERROR, and the job is told.
                span.RecordException(ex);
                error = ex.GetType().Name + ": " + ex.Message;
                log.LogError("agent {Agent} failed after {Count} items: {Error}", args.AgentId, done, ex.Message);
            }
        }
        logs.Dispose(); // flushes the console logger's queue before the result line
        // No Tracing.Flush here: the runtime exports what is left in the ring when the process exits.
        var result = new AgentResult(args.AgentId, done, failedItems.Count, failedItems, sum, task,
            Environment.GetEnvironmentVariable("TRACEPARENT"), Tracing.Ring.Written, error,
            System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds);
        Console.Out.WriteLine(ResultPrefix + JsonSerializer.Serialize(result, MapReduceJson.Default.AgentResult));
        Console.Out.Flush();
        return error is null ? 0 : 1;
    }

    /// <summary>The work per item: a deterministic little computation, <paramref name="work"/> rounds of an LCG.</summary>
    public static long Map(long item, int work, IReadOnlySet<long> poisoned)
    {
        if (poisoned.Contains(item))
        {
            throw new InvalidOperationException($"item {item} is poisoned");
        }
        ulong x = (ulong)item + 1;
        for (int i = 0; i < work; i++)
        {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
        }
        return (long)(x >> 54);
    }
}
