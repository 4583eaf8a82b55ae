using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using OtelGen;
using OtelGen.Context;
using OtelGen.Samples.Workflow;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Samples.Tests;

/// <summary>The workflow sample against a real PostgreSQL: context stored in rows survives claims, child executions and a killed worker.</summary>
public sealed class WorkflowTests : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string TraceState = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    private static readonly SpanDescriptor s_creator = new("test.creator", ActivityKind.Internal);
    private readonly PostgresDatabase _database;
    private readonly ExecutionStore _store;

    public WorkflowTests(PostgresDatabase database)
    {
        _database = database;
        _store = new ExecutionStore(database.ConnectionString);
    }

    public Task InitializeAsync() => _store.CreateSchemaAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static string NewQueue() => "q_" + Guid.NewGuid().ToString("N")[..10];

    private Worker NewWorker(string queue, TimeSpan? deadAfter = null, string? id = null) =>
        DemoFunctions.RegisterAll(new Worker(_store, new WorkerOptions
        {
            Queue = queue,
            WorkerId = id ?? "test-" + Guid.NewGuid().ToString("N")[..8],
            DeadAfter = deadAfter ?? TimeSpan.FromSeconds(10),
        }));

    /// <summary>Creates an execution under a remote parent with tracestate and baggage, as a request handler would.</summary>
    private async Task<(long Id, SpanContext Creator)> CreateUnderRemoteParentAsync(string type, string inputs, string queue)
    {
        var remote = new SpanContext(TraceId.NewRandom(), SpanId.NewRandom(), 1);
        using (TraceContext.Continue(remote.ToTraceParent(), TraceState, "tenant=acme,plan=gold"))
        {
            AsyncSpanScope creator = AsyncSpanScope.Start(s_creator);
            SpanContext creatorContext = creator.Context;
            long id = await creator.Track(_store.CreateAsync(type, inputs, queue));
            return (id, creatorContext);
        }
    }

    private async Task<Dictionary<string, object?>> RowAsync(long id)
    {
        await using NpgsqlCommand command = _store.DataSource.CreateCommand(
            "SELECT status, trace_id, span_id, trace_context::text, attempt, attempt_trace_id, attempt_span_id, result::text, error, parent_id, claimed_by FROM executions WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"execution {id} exists");
        var row = new Dictionary<string, object?>();
        for (int i = 0; i < reader.FieldCount; i++)
        {
            row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }
        return row;
    }

    [Fact]
    public async Task CreatingAnExecution_StoresTheCreatorSpansContext_InTheRow()
    {
        string queue = NewQueue();
        (long id, SpanContext creator) = await CreateUnderRemoteParentAsync("order", "{\"order\":\"c-1\",\"amount\":10}", queue);

        Dictionary<string, object?> row = await RowAsync(id);
        List<SpanRecord> spans = RingSpans.Of(creator.TraceId, s => s.Any(x => x.Name == "db.create_execution"));
        SpanRecord create = Assert.Single(spans, s => s.Name == "db.create_execution");

        Assert.Equal(creator.TraceId.ToHexString(), row["trace_id"]);
        Assert.Equal(create.SpanId.ToHexString(), row["span_id"]);
        Assert.Equal(creator.SpanId, create.ParentSpanId);
        Assert.Equal(ActivityKind.Client, create.Kind);
        Assert.Equal("postgresql", create.Attribute("db.system.name").AsString());
        Assert.Equal("INSERT", create.Attribute("db.operation.name").AsString());
        Assert.Equal("executions", create.Attribute("db.collection.name").AsString());
        Assert.Equal(_database.Name, create.Attribute("db.namespace").AsString());
        Assert.Equal(id, create.Attribute("workflow.execution.id").AsLong());
        using JsonDocument carried = JsonDocument.Parse((string)row["trace_context"]!);
        Assert.Equal(TraceState, carried.RootElement.GetProperty("tracestate").GetString());
        string baggage = carried.RootElement.GetProperty("baggage").GetString()!;
        Assert.Contains("tenant=acme", baggage);
        Assert.Contains("plan=gold", baggage);
        Assert.Equal("queued", row["status"]);
    }

    [Fact]
    public async Task WithNpgsqlRecorded_ItsCommandActivity_IsAChildOfTheEffectSpan_WithTheDatabaseAttributes()
    {
        // Issue #23 item 1 against the real server: the Npgsql driver's own Activity (source "Npgsql"), recorded
        // because it is named, hangs under OtelGen's [Effect] span in the same trace.
        Tracing.RecordActivities("Npgsql");
        string queue = NewQueue();
        (long id, SpanContext creator) = await CreateUnderRemoteParentAsync("order", "{\"order\":\"n-1\",\"amount\":1}", queue);

        static bool FromNpgsql(SpanRecord s) => s.Descriptor is null && s.Name != "test.creator";
        List<SpanRecord> spans = RingSpans.Of(creator.TraceId, s => s.Any(x => x.Name == "db.create_execution") && s.Any(FromNpgsql));
        SpanRecord effect = Assert.Single(spans, s => s.Name == "db.create_execution");
        SpanRecord command = Assert.Single(spans, FromNpgsql);
        Assert.Equal(effect.SpanId, command.ParentSpanId);
        Assert.Equal(ActivityKind.Client, command.Kind);
        Assert.Equal("postgresql", command.Attribute("db.system.name").AsString());
        Assert.Contains("INSERT INTO executions", command.Attribute("db.query.text").AsString());
        Assert.True(command.StartUnixNano >= effect.StartUnixNano && command.EndUnixNano <= effect.EndUnixNano, RingSpans.Describe(spans));
        Assert.True(id > 0);
    }

    [Fact]
    public async Task AWorker_ContinuesTheCreatorsTrace_AndChildExecutionsInheritIt()
    {
        string queue = NewQueue();
        using var metrics = new MetricRecorder(queue);
        (long id, SpanContext creator) = await CreateUnderRemoteParentAsync("order", "{\"order\":\"o-1\",\"amount\":42.5}", queue);
        Worker worker = NewWorker(queue);
        await worker.HeartbeatAsync();

        int ran = 0;
        while (await worker.RunOnceAsync())
        {
            ran++;
        }
        Assert.Equal(3, ran);

        // Async spans end on their task's continuation, which a busy thread pool may run a little later: wait for all.
        string[] expected = { "order.process", "payment.charge", "shipping.ship", "order.price_with_tax", "test.creator" };
        List<SpanRecord> spans = RingSpans.Of(creator.TraceId, s =>
            s.Count(x => x.Name == "db.report_result") == 3 && s.Count(x => x.Name == "db.claim_execution") == 3
            && s.Count(x => x.Name == "db.create_execution") == 3 && expected.All(name => s.Any(x => x.Name == name)));
        string all = RingSpans.Describe(spans);
        Dictionary<string, object?> order = await RowAsync(id);
        Assert.Equal("completed", order["status"]);
        SpanRecord orderCreate = Assert.Single(spans, s => s.Name == "db.create_execution" && s.ParentSpanId == creator.SpanId);
        SpanRecord process = Assert.Single(spans, s => s.Name == "order.process");
        SpanRecord claim = Assert.Single(spans, s => s.Name == "db.claim_execution" && s.Attribute("workflow.execution.id").AsLong() == id);
        SpanRecord report = Assert.Single(spans, s => s.Name == "db.report_result" && s.Attribute("workflow.execution.id").AsLong() == id);

        // The worker's spans are children of the span that created the row, in the creator's trace.
        Assert.Equal(orderCreate.SpanId, process.ParentSpanId);
        Assert.Equal(orderCreate.SpanId, claim.ParentSpanId);
        Assert.Equal(orderCreate.SpanId, report.ParentSpanId);
        Assert.True(process.ParentIsRemote, "the row's context is a remote parent");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(ActivityKind.Client, claim.Kind);
        Assert.Equal(ActivityKind.Client, report.Kind);
        Assert.Equal("UPDATE", claim.Attribute("db.operation.name").AsString());
        Assert.True(claim.StartUnixNano <= claim.EndUnixNano && claim.EndUnixNano <= process.StartUnixNano, all);
        Assert.True(process.EndUnixNano <= report.StartUnixNano, all);
        Assert.Equal(TraceState, process.TraceState);
        Assert.Equal(1, process.Attribute("workflow.execution.attempt").AsLong());
        // The user's own [Traced] helper (generated interceptor) nests under the function span.
        SpanRecord price = Assert.Single(spans, s => s.Name == "order.price_with_tax");
        Assert.Equal(process.SpanId, price.ParentSpanId);

        // Child executions: created inside order.process, run in the same trace under their own creator span.
        using JsonDocument result = JsonDocument.Parse((string)order["result"]!);
        foreach ((string field, string spanName) in new[] { ("payment", "payment.charge"), ("shipment", "shipping.ship") })
        {
            long childId = result.RootElement.GetProperty(field).GetInt64();
            Dictionary<string, object?> child = await RowAsync(childId);
            Assert.Equal(id, child["parent_id"]);
            Assert.Equal("completed", child["status"]);
            Assert.Equal(creator.TraceId.ToHexString(), child["trace_id"]);
            SpanRecord childCreate = Assert.Single(spans, s => s.SpanId.ToHexString() == (string)child["span_id"]!);
            Assert.Equal("db.create_execution", childCreate.Name);
            Assert.Equal(process.SpanId, childCreate.ParentSpanId);
            SpanRecord childRun = Assert.Single(spans, s => s.Name == spanName);
            Assert.Equal(childCreate.SpanId, childRun.ParentSpanId);
            Assert.Equal(TraceState, childRun.TraceState);
        }
        Assert.All(spans, s => Assert.Equal(SpanStatusCode.Unset, s.StatusCode));

        Assert.Equal(3, metrics.Sum("workflow.executions.claimed"));
        Assert.Equal(3, metrics.Sum("workflow.executions.completed"));
        Assert.Equal(3, metrics.Sum("workflow.executions.created"));
        Assert.Equal(3, metrics.Count("workflow.execution.duration"));
        Assert.Equal(3, metrics.Count("workflow.execution.claim_latency"));
    }

    [Fact]
    public async Task AWorkerKilledMidTask_IsDeclaredDead_AndTheReRunJoinsTheSameTrace_LinkedToTheFailedAttempt()
    {
        string queue = NewQueue();
        (long id, SpanContext creator) = await CreateUnderRemoteParentAsync("slow", "{\"first_attempt_sleep_ms\":120000}", queue);

        // A worker in another process claims it and is killed mid-task.
        (Process doomed, System.Text.StringBuilder output) = SampleProcess.Start(SampleProcess.StartInfo("Workflow.dll", new[]
        {
            "worker", "--connection", _database.ConnectionString, "--queue", queue, "--worker-id", "doomed-" + queue,
            "--heartbeat-ms", "200", "--dead-after-ms", "1000",
        }));
        Dictionary<string, object?> running;
        try
        {
            running = await WaitForRowAsync(id, r => (string)r["status"]! == "running" && r["attempt_span_id"] is not null, () => output.ToString());
        }
        finally
        {
            doomed.Kill(entireProcessTree: true);
            await doomed.WaitForExitAsync();
        }
        // The killed attempt ran in the creator's trace too (it wrote its span into the row).
        Assert.Equal(creator.TraceId.ToHexString(), running["attempt_trace_id"]);
        Assert.Equal(1, running["attempt"]);
        string failedAttemptSpan = (string)running["attempt_span_id"]!;

        // A fresh worker (the restart) declares it dead after 1 s of silence and re-runs the execution.
        Worker restarted = NewWorker(queue, deadAfter: TimeSpan.FromSeconds(1));
        var reassigned = new List<long>();
        bool ran = false;
        for (int i = 0; i < 200 && !ran; i++)
        {
            reassigned.AddRange(await restarted.HeartbeatAsync());
            ran = await restarted.RunOnceAsync();
            if (!ran)
            {
                await Task.Delay(50);
            }
        }
        Assert.True(ran, "the restarted worker re-ran the execution");
        Assert.Contains(id, reassigned);

        Dictionary<string, object?> done = await RowAsync(id);
        Assert.Equal("completed", done["status"]);
        Assert.Equal(2, done["attempt"]);
        Assert.Equal("{\"attempt\": 2}", done["result"]);

        List<SpanRecord> spans = RingSpans.Of(creator.TraceId, s => s.Any(x => x.Name == "db.report_result") && s.Any(x => x.Name == "slow.run"));
        SpanRecord rerun = Assert.Single(spans, s => s.Name == "slow.run");
        Assert.Equal((string)running["span_id"]!, rerun.ParentSpanId.ToHexString());
        Assert.Equal(2, rerun.Attribute("workflow.execution.attempt").AsLong());
        Assert.Equal(1, rerun.LinkCount);
        SpanLink link = rerun.Links[0];
        Assert.Equal(creator.TraceId, link.TraceId);
        Assert.Equal(failedAttemptSpan, link.SpanId.ToHexString());
        KeyValue[] linkAttributes = rerun.NestedRange(link.AttributeStart, link.AttributeCount).ToArray();
        Assert.Contains(new KeyValue(WorkflowTelemetry.LinkReason, "previous_attempt"), linkAttributes);
        Assert.Contains(new KeyValue("workflow.execution.attempt", 1L), linkAttributes);
    }

    [Fact]
    public async Task AFailingFunction_MarksItsSpanError_AndTheRowFailed()
    {
        string queue = NewQueue();
        (long id, SpanContext creator) = await CreateUnderRemoteParentAsync("flaky", "{}", queue);
        Worker worker = NewWorker(queue);
        await worker.HeartbeatAsync();
        Assert.True(await worker.RunOnceAsync());

        Dictionary<string, object?> row = await RowAsync(id);
        Assert.Equal("failed", row["status"]);
        Assert.Contains("the flaky step failed", (string)row["error"]!);
        List<SpanRecord> spans = RingSpans.Of(creator.TraceId, s => s.Any(x => x.Name == "db.report_result") && s.Any(x => x.Name == "flaky.explode"));
        SpanRecord run = Assert.Single(spans, s => s.Name == "flaky.explode");
        Assert.Equal(SpanStatusCode.Error, run.StatusCode);
        Assert.Equal("System.InvalidOperationException", run.Attribute("error.type").AsString());
        Assert.Equal("exception", run.Events[0].Name);
        SpanRecord report = Assert.Single(spans, s => s.Name == "db.report_result");
        Assert.Equal("failed", report.Attribute("workflow.execution.status").AsString());
    }

    [Fact]
    public async Task ConcurrentWorkers_ClaimEachExecutionExactlyOnce()
    {
        string queue = NewQueue();
        var ids = new List<long>();
        for (int i = 0; i < 30; i++)
        {
            ids.Add(await _store.CreateAsync("payment", "{}", queue));
        }
        Worker[] workers = { NewWorker(queue), NewWorker(queue), NewWorker(queue) };
        foreach (Worker w in workers)
        {
            await w.HeartbeatAsync();
        }
        int[] ran = await Task.WhenAll(workers.Select(async w =>
        {
            int n = 0;
            while (await w.RunOnceAsync())
            {
                n++;
            }
            return n;
        }));
        Assert.Equal(30, ran.Sum());
        foreach (long id in ids)
        {
            Dictionary<string, object?> row = await RowAsync(id);
            Assert.Equal("completed", row["status"]);
            Assert.Equal(1, row["attempt"]);
        }
    }

    [Fact]
    public async Task Gauges_ReadQueueDepthAndActiveWorkers_FromTheTables()
    {
        string queue = NewQueue();
        for (int i = 0; i < 3; i++)
        {
            await _store.CreateAsync("payment", "{}", queue);
        }
        Worker first = NewWorker(queue);
        Worker second = NewWorker(queue);
        await first.HeartbeatAsync();
        await second.HeartbeatAsync();

        using var metrics = new MetricRecorder(queue);
        metrics.Observe();
        Assert.Equal(3, metrics.Last("workflow.queue.depth"));
        Assert.Equal(2, metrics.Last("workflow.workers.active"));

        Assert.True(await first.RunOnceAsync());
        await first.HeartbeatAsync();
        metrics.Observe();
        Assert.Equal(2, metrics.Last("workflow.queue.depth"));
    }

    [Fact]
    public async Task AnUnreachableServer_FailsWithHowToStartIt()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresDatabase.OpenServerAsync("Host=127.0.0.1;Port=1;Username=postgres;Database=postgres"));
        Assert.Contains(".ci/postgres.sh", error.Message);
        Assert.Contains("OTELGEN_TEST_PG", error.Message);
    }

    private async Task<Dictionary<string, object?>> WaitForRowAsync(long id, Func<Dictionary<string, object?>, bool> condition, Func<string> diagnostics)
    {
        Dictionary<string, object?> row = await RowAsync(id);
        for (int i = 0; i < 600 && !condition(row); i++)
        {
            await Task.Delay(50);
            row = await RowAsync(id);
        }
        Assert.True(condition(row), $"execution {id} never reached the expected state: {string.Join(", ", row.Select(kv => kv.Key + "=" + kv.Value))}\nworker output:\n{diagnostics()}");
        return row;
    }

    /// <summary>Collects the workflow metrics for one queue.</summary>
    private sealed class MetricRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _queue;
        private readonly List<(string Name, double Value)> _measurements = new();

        public MetricRecorder(string queue)
        {
            _queue = queue;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == WorkflowTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "workflow.queue" && (string?)tag.Value == _queue)
                {
                    lock (_measurements)
                    {
                        _measurements.Add((instrument.Name, value));
                    }
                }
            }
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public double Sum(string name)
        {
            lock (_measurements)
            {
                return _measurements.Where(m => m.Name == name).Sum(m => m.Value);
            }
        }

        public int Count(string name)
        {
            lock (_measurements)
            {
                return _measurements.Count(m => m.Name == name);
            }
        }

        public double Last(string name)
        {
            lock (_measurements)
            {
                return _measurements.Last(m => m.Name == name).Value;
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
