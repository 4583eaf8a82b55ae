using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using OtelGen;
using OtelGen.Context;
using OtelGen.Samples.Workflow;
using OtelGen.Spans;

// Usage:
//   Workflow init                      create the tables
//   Workflow enqueue [count]           create `count` order executions, each in its own trace
//   Workflow worker [--queue q] [--worker-id id] [--heartbeat-ms n] [--dead-after-ms n]
//   Workflow demo                      init, enqueue one order, run a worker until the queue is empty
//   Workflow bench [--executions 300] [--rounds 10]   the claim loop with tracing on vs off, interleaved in one run
//                                      (uses and empties the queue 'bench'; run it on a scratch database; Release build)
// The database: --connection "..." or env WORKFLOW_PG (default Host=127.0.0.1;Port=54329;Username=postgres;Database=postgres).
// Export: set OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_SERVICE_NAME) and every span goes to your collector.

string command = args.Length > 0 ? args[0] : "demo";
string connection = Option(args, "--connection") ?? Environment.GetEnvironmentVariable("WORKFLOW_PG") ?? "Host=127.0.0.1;Port=54329;Username=postgres;Database=postgres";
string queue = Option(args, "--queue") ?? "default";
await using var store = new ExecutionStore(connection);

switch (command)
{
    case "init":
        await store.CreateSchemaAsync();
        Console.WriteLine("schema ready");
        return 0;

    case "enqueue":
    {
        int count = args.Length > 1 && int.TryParse(args[1], out int n) ? n : 1;
        for (int i = 0; i < count; i++)
        {
            long id = await EnqueueOrderAsync(store, queue, $"A-{i}");
            Console.WriteLine($"created execution {id}");
        }
        return 0;
    }

    case "worker":
    {
        var options = new WorkerOptions
        {
            Queue = queue,
            WorkerId = Option(args, "--worker-id") ?? new WorkerOptions().WorkerId,
            HeartbeatInterval = TimeSpan.FromMilliseconds(IntOption(args, "--heartbeat-ms", 2000)),
            DeadAfter = TimeSpan.FromMilliseconds(IntOption(args, "--dead-after-ms", 10000)),
        };
        var worker = DemoFunctions.RegisterAll(new Worker(store, options));
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        Console.WriteLine($"worker {options.WorkerId} on queue '{queue}'");
        await worker.RunAsync(stop.Token);
        return 0;
    }

    case "demo":
    {
        await store.CreateSchemaAsync();
        long id = await EnqueueOrderAsync(store, queue, "demo-1");
        var worker = DemoFunctions.RegisterAll(new Worker(store, new WorkerOptions { Queue = queue }));
        await worker.HeartbeatAsync();
        int ran = 0;
        while (await worker.RunOnceAsync())
        {
            ran++;
        }
        Console.WriteLine($"order execution {id}: ran {ran} executions");
        foreach (SpanRecord span in Tracing.Ring.Snapshot())
        {
            Console.WriteLine(span);
        }
        return 0;
    }

    case "bench":
    {
        await store.CreateSchemaAsync();
        int executions = IntOption(args, "--executions", 300);
        int rounds = IntOption(args, "--rounds", 10);
        var worker = new Worker(store, new WorkerOptions { Queue = "bench" }).Register("noop", "run", static (_, _) => Task.FromResult<string?>(null));
        await worker.HeartbeatAsync();
        var on = new System.Collections.Generic.List<double>();
        var off = new System.Collections.Generic.List<double>();
        var cpuOn = new System.Collections.Generic.List<double>();
        var cpuOff = new System.Collections.Generic.List<double>();
        await ClaimLoopAsync(store, worker, executions); // warm up
        for (int round = 0; round < rounds; round++)
        {
            // Alternate which goes first, so drift in the machine's load falls on both.
            foreach (bool tracing in round % 2 == 0 ? new[] { false, true } : new[] { true, false })
            {
                if (tracing) { Tracing.Enable(); } else { Tracing.Disable(); }
                TimeSpan cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                double seconds = await ClaimLoopAsync(store, worker, executions);
                double cpuMs = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
                (tracing ? on : off).Add(seconds * 1000 / executions);
                (tracing ? cpuOn : cpuOff).Add(cpuMs * 1000 / executions);
            }
        }
        Tracing.Enable();
        on.Sort();
        off.Sort();
        cpuOn.Sort();
        cpuOff.Sort();
        double medianOn = on[on.Count / 2], medianOff = off[off.Count / 2];
        Console.WriteLine($"claim loop, {executions} executions x {rounds} rounds, ms per execution (claim + mark running + run + report)");
        Console.WriteLine($"tracing off: median {medianOff:F3}  [{string.Join(", ", off.ConvertAll(v => v.ToString("F3")))}]");
        Console.WriteLine($"tracing on:  median {medianOn:F3}  [{string.Join(", ", on.ConvertAll(v => v.ToString("F3")))}]");
        Console.WriteLine($"overhead (wall): {(medianOn / medianOff - 1) * 100:F2} %");
        // The worker's own CPU per execution (this process; excludes PostgreSQL and the rest of the machine).
        double cpuMedianOn = cpuOn[cpuOn.Count / 2], cpuMedianOff = cpuOff[cpuOff.Count / 2];
        Console.WriteLine($"worker CPU per execution, us: off median {cpuMedianOff:F1} [{string.Join(", ", cpuOff.ConvertAll(v => v.ToString("F1")))}]");
        Console.WriteLine($"worker CPU per execution, us: on  median {cpuMedianOn:F1} [{string.Join(", ", cpuOn.ConvertAll(v => v.ToString("F1")))}]");
        Console.WriteLine($"overhead (worker CPU): {(cpuMedianOn / cpuMedianOff - 1) * 100:F2} %");
        return 0;
    }

    default:
        Console.Error.WriteLine($"unknown command '{command}' (init | enqueue | worker | demo | bench)");
        return 2;
}

static async Task<long> EnqueueOrderAsync(ExecutionStore store, string queue, string order)
{
    // The creator's own span: the order's whole workflow becomes one trace under it.
    AsyncSpanScope span = AsyncSpanScope.Start(new SpanDescriptor("checkout.place_order", ActivityKind.Internal));
    TraceId trace = span.Context.TraceId;
    Task<long> created;
    try
    {
        created = store.CreateAsync("order", $"{{\"order\":\"{order}\",\"amount\":42.5}}", queue);
    }
    catch (Exception ex)
    {
        span.Fail(ex);
        throw;
    }
    long id = await span.Track(created);
    Console.WriteLine($"trace {trace}");
    return id;
}

static async Task<double> ClaimLoopAsync(ExecutionStore store, Worker worker, int executions)
{
    await using (NpgsqlCommand fill = store.DataSource.CreateCommand(
        $"DELETE FROM executions WHERE queue = 'bench'; INSERT INTO executions (type, queue) SELECT 'noop', 'bench' FROM generate_series(1, {executions})"))
    {
        await fill.ExecuteNonQueryAsync();
    }
    var clock = System.Diagnostics.Stopwatch.StartNew();
    while (await worker.RunOnceAsync())
    {
    }
    return clock.Elapsed.TotalSeconds;
}

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static int IntOption(string[] args, string name, int fallback) =>
    int.TryParse(Option(args, name), out int value) ? value : fallback;
