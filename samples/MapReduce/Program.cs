using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen;
using OtelGen.Samples.MapReduce;

// Usage:
//   MapReduce job [--items 100000] [--agents 4] [--work 50] [--poison 7,99] [--crash-agent 2] [--quiet]
//   MapReduce agent --agent-id N --from A --to B [--work W] [--poison ...] [--crash]   (started by the job)
//   MapReduce bench [--items 100000] [--agents 4] [--work 50] [--rounds 5] [--sink]   (tracing on vs off, one run;
//                   --sink: the agents export to a minimal OTLP/HTTP sink on loopback that this process serves)
// Export: OTEL_EXPORTER_OTLP_ENDPOINT (+ OTEL_SERVICE_NAME); the agents inherit the exporter settings
// from this process's environment and get their trace context in TRACEPARENT/TRACESTATE/BAGGAGE.

string command = args.Length > 0 ? args[0] : "job";
switch (command)
{
    case "job":
        return Job.Run(new JobArgs(LongOption("--items", 1000), (int)LongOption("--agents", 4), (int)LongOption("--work", 50),
            Poisoned(), (int)LongOption("--crash-agent", -1), args.Contains("--quiet")));

    case "agent":
        return Agent.Run(new AgentArgs((int)LongOption("--agent-id", 0), LongOption("--from", 0), LongOption("--to", 0), (int)LongOption("--work", 50),
            Poisoned(), args.Contains("--crash")));

    case "bench":
        return Bench();

    default:
        Console.Error.WriteLine($"unknown command '{command}' (job | agent | bench)");
        return 2;
}

int Bench()
{
    // Tracing on and off alternate in one run, so both see the same machine state.
    var jobArgs = new JobArgs(LongOption("--items", 100_000), (int)LongOption("--agents", 4), (int)LongOption("--work", 50), new HashSet<long>(), -1, Quiet: true);
    int rounds = (int)LongOption("--rounds", 5);
    var on = new List<double>();
    var off = new List<double>();
    var cpuOn = new List<double>();
    var cpuOff = new List<double>();
    var ownOn = new List<double>();
    var ownOff = new List<double>();
    using var self = Process.GetCurrentProcess();
    // Only the agents export to the sink (their environment); this process's three spans stay in its ring.
    using BenchSink? sink = args.Contains("--sink") ? new BenchSink() : null;
    if (sink is not null)
    {
        jobArgs = jobArgs with { AgentEnvironment = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Endpoint } };
    }
    Job.Execute(jobArgs with { Items = Math.Min(jobArgs.Items, 1000) }, false); // warm up
    for (int round = 0; round < rounds; round++)
    {
        foreach (bool tracing in round % 2 == 0 ? new[] { false, true } : new[] { true, false })
        {
            if (tracing) { Tracing.Enable(); } else { Tracing.Disable(); }
            self.Refresh();
            TimeSpan ownBefore = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            JobSummary summary = Job.Execute(jobArgs, false);
            (tracing ? on : off).Add(clock.Elapsed.TotalSeconds);
            self.Refresh();
            (tracing ? ownOn : ownOff).Add((self.TotalProcessorTime - ownBefore).TotalMilliseconds);
            // The agents' whole lives (exit flush included) when the OS tells; else what they reported.
            (tracing ? cpuOn : cpuOff).Add(double.IsNaN(summary.AgentsCpuMs) ? summary.AgentResults.Sum(a => a.CpuMs) : summary.AgentsCpuMs);
        }
    }
    Tracing.Enable();
    double medianOn = Median(on);
    double medianOff = Median(off);
    Console.WriteLine($"items={jobArgs.Items} agents={jobArgs.Agents} work={jobArgs.Work} rounds={rounds}");
    string? endpoint = sink?.Endpoint ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT");
    Console.WriteLine(endpoint is null ? "export: none (spans stay in each agent's ring)"
        : sink is null ? $"export: {endpoint}"
        : $"export: the bench's sink at {endpoint} received {sink.Requests} requests, {sink.Bytes / 1e6:F1} MB ({Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf"})"
          + (sink.Refused > 0 ? $", refused {sink.Refused} without a Content-Length" : ""));
    Console.WriteLine($"tracing off: median {medianOff:F3} s  [{string.Join(", ", off.Select(s => s.ToString("F3")))}]");
    Console.WriteLine($"tracing on:  median {medianOn:F3} s  [{string.Join(", ", on.Select(s => s.ToString("F3")))}]");
    Console.WriteLine($"overhead (wall): {(medianOn / medianOff - 1) * 100:F2} %");
    // The agents' CPU (user + system, all agents): less sensitive to a busy machine than wall time.
    double cpuMedianOn = Median(cpuOn), cpuMedianOff = Median(cpuOff);
    Console.WriteLine($"agents' CPU: off median {cpuMedianOff:F0} ms [{string.Join(", ", cpuOff.Select(v => v.ToString("F0")))}]");
    Console.WriteLine($"agents' CPU: on  median {cpuMedianOn:F0} ms [{string.Join(", ", cpuOn.Select(v => v.ToString("F0")))}]");
    Console.WriteLine($"overhead (agents' CPU): {(cpuMedianOn / cpuMedianOff - 1) * 100:F2} %, {(cpuMedianOn - cpuMedianOff) * 1e6 / jobArgs.Items:F0} ns per item span");
    // This process: the job (starting agents, reading their output) and, with --sink, the sink, which
    // shares the cores with the agents, so its work shows in the wall time though a real collector runs elsewhere.
    double ownMedianOn = Median(ownOn), ownMedianOff = Median(ownOff);
    Console.WriteLine($"this process's CPU (job{(sink is null ? "" : " + sink")}): off median {ownMedianOff:F0} ms, on median {ownMedianOn:F0} ms");
    return 0;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

long LongOption(string name, long fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && long.TryParse(args[i + 1], out long value) ? value : fallback;
}

HashSet<long> Poisoned()
{
    int i = Array.IndexOf(args, "--poison");
    return i >= 0 && i + 1 < args.Length
        ? args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToHashSet()
        : new HashSet<long>();
}
