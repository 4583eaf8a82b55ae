using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using OtelGen;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Samples.Workflow;

/// <summary>An execution a worker claimed: what to run, and the trace it belongs to.</summary>
public sealed class ClaimedExecution
{
    /// <summary>Row id.</summary>
    public long Id { get; init; }
    /// <summary>Execution type (picks the function).</summary>
    public string Type { get; init; } = "";
    /// <summary>The queue it was claimed from.</summary>
    public string Queue { get; init; } = "";
    /// <summary>Inputs, JSON.</summary>
    public string InputsJson { get; init; } = "{}";
    /// <summary>The execution that created this one, if any.</summary>
    public long? ParentId { get; init; }
    /// <summary>1 for the first run, 2 for the first re-run after a dead worker, ...</summary>
    public int Attempt { get; init; }
    /// <summary>The creator's context, stored in the row: the worker's spans become its children.</summary>
    public SpanContext CreatorContext { get; init; }
    /// <summary>The creator's baggage.</summary>
    public string? Baggage { get; init; }
    /// <summary>The previous attempt's function span (a re-run links to it), or default.</summary>
    public SpanContext PreviousAttempt { get; init; }
    /// <summary>Seconds the execution waited to be claimed.</summary>
    public double ClaimLatencySeconds { get; init; }
}

/// <summary>
/// The <c>executions</c> table: PostgreSQL as the queue and as the carrier of trace context. Creating an
/// execution stores the creator's context in the row (<c>trace_id</c>, <c>span_id</c>, and
/// <c>trace_context</c> for tracestate and baggage); a worker that claims the row continues it.
/// </summary>
public sealed class ExecutionStore : IAsyncDisposable
{
    /// <summary>The schema, idempotent.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS executions (
            id               bigserial PRIMARY KEY,
            type             text        NOT NULL,
            queue            text        NOT NULL DEFAULT 'default',
            status           text        NOT NULL DEFAULT 'queued',   -- queued | claimed | running | completed | failed
            inputs           jsonb       NOT NULL DEFAULT '{}',
            result           jsonb,
            error            text,
            parent_id        bigint      REFERENCES executions(id),
            trace_id         text,                                   -- the creator's W3C trace id (32 hex)
            span_id          text,                                   -- the creator's span id (16 hex)
            trace_flags      smallint    NOT NULL DEFAULT 0,
            trace_context    jsonb,                                  -- {"tracestate": ..., "baggage": ...}
            attempt          integer     NOT NULL DEFAULT 0,
            attempt_trace_id text,                                   -- the latest attempt's function span,
            attempt_span_id  text,                                   -- so that a re-run can link to it
            claimed_by       text,
            created_at       timestamptz NOT NULL DEFAULT now(),
            available_at     timestamptz NOT NULL DEFAULT now(),     -- created, or reassigned from a dead worker
            claimed_at       timestamptz,
            started_at       timestamptz,
            finished_at      timestamptz,
            updated_at       timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX IF NOT EXISTS executions_claimable ON executions (queue, id) WHERE status = 'queued';
        CREATE INDEX IF NOT EXISTS executions_claimed_by ON executions (claimed_by) WHERE status IN ('claimed', 'running');
        CREATE TABLE IF NOT EXISTS workers (
            id           text PRIMARY KEY,
            queue        text        NOT NULL,
            started_at   timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    private const string InsertSql = """
        INSERT INTO executions (type, queue, inputs, parent_id, trace_id, span_id, trace_flags, trace_context)
        VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8::jsonb) RETURNING id
        """;

    // One statement: pick the oldest claimable row no other worker holds (SKIP LOCKED), claim it.
    private const string ClaimSql = """
        UPDATE executions e
           SET status = 'claimed', claimed_by = $2, claimed_at = now(), attempt = e.attempt + 1, updated_at = now()
          FROM (SELECT id FROM executions WHERE queue = $1 AND status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) c
         WHERE e.id = c.id
        RETURNING e.id, e.type, e.inputs::text, e.parent_id, e.trace_id, e.span_id, e.trace_flags,
                  e.trace_context->>'tracestate', e.trace_context->>'baggage', e.attempt,
                  e.attempt_trace_id, e.attempt_span_id, extract(epoch FROM clock_timestamp() - e.available_at)::float8
        """;

    private const string StartSql = """
        UPDATE executions SET status = 'running', started_at = now(), attempt_trace_id = $3, attempt_span_id = $4, updated_at = now()
         WHERE id = $1 AND claimed_by = $2
        """;

    private const string ReportSql = """
        UPDATE executions SET status = $3, result = $4::jsonb, error = $5, finished_at = now(), updated_at = now()
         WHERE id = $1 AND claimed_by = $2 AND status IN ('claimed', 'running')
        """;

    private const string HeartbeatSql = """
        INSERT INTO workers (id, queue) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
        """;

    // A worker whose heartbeat is older than the timeout is dead: its claims go back to the queue.
    private const string ReassignSql = """
        WITH dead AS (DELETE FROM workers WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING id)
        UPDATE executions e SET status = 'queued', claimed_by = NULL, available_at = now(), updated_at = now()
         WHERE e.status IN ('claimed', 'running')
           AND (e.claimed_by IN (SELECT id FROM dead) OR NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = e.claimed_by))
        RETURNING e.id
        """;

    private const string GaugesSql = """
        SELECT (SELECT count(*) FROM executions WHERE queue = $1 AND status = 'queued'),
               (SELECT count(*) FROM workers WHERE queue = $1 AND heartbeat_at >= now() - make_interval(secs => $2))
        """;

    private static readonly SpanDescriptor s_create = new("db.create_execution", ActivityKind.Client, WorkflowTelemetry.DbAttributes("INSERT", "executions", InsertSql));
    private static readonly SpanDescriptor s_claim = new("db.claim_execution", ActivityKind.Client, WorkflowTelemetry.DbAttributes("UPDATE", "executions", ClaimSql));
    private static readonly SpanDescriptor s_report = new("db.report_result", ActivityKind.Client, WorkflowTelemetry.DbAttributes("UPDATE", "executions", ReportSql));

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Opens a store on <paramref name="connectionString"/>.</summary>
    public ExecutionStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Target = new DatabaseTarget(builder.Host ?? "localhost", builder.Port, builder.Database ?? "postgres");
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <summary>The database, for span attributes.</summary>
    public DatabaseTarget Target { get; }

    /// <summary>Creates the tables if missing.</summary>
    public async Task CreateSchemaAsync(CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(Schema);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates an execution in a <c>db.create_execution</c> span and stores that span's context in the
    /// row, so the worker that runs it continues this trace.
    /// </summary>
    public Task<long> CreateAsync(string type, string inputsJson, string queue = "default", long? parentId = null, CancellationToken cancellationToken = default)
    {
        AsyncSpanScope span = AsyncSpanScope.Start(s_create);
        WorkflowTelemetry.SetConnectionAttributes(span, Target);
        span.SetAttribute("workflow.execution.type", type);
        span.SetAttribute("workflow.queue", queue);
        Task<long> task;
        try
        {
            task = InsertAsync(type, inputsJson, queue, parentId, cancellationToken);
        }
        catch (Exception ex)
        {
            span.Fail(ex);
            throw;
        }
        return span.Track(task);
    }

    private async Task<long> InsertAsync(string type, string inputsJson, string queue, long? parentId, CancellationToken cancellationToken)
    {
        // Inside the create span's flow: the current context is that span's.
        SpanContext context = TraceContext.Current;
        string? baggage = null;
        foreach (KeyValuePair<string, string> header in TraceContext.ToHeaders())
        {
            if (header.Key == "baggage")
            {
                baggage = header.Value;
            }
        }
        string? carried = context.TraceState is null && baggage is null
            ? null
            : JsonSerializer.Serialize(new Dictionary<string, string?> { ["tracestate"] = context.TraceState, ["baggage"] = baggage });

        await using NpgsqlCommand command = _dataSource.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = queue });
        command.Parameters.Add(new NpgsqlParameter { Value = inputsJson });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)parentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = context.IsValid ? context.TraceId.ToHexString() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = context.IsValid ? context.SpanId.ToHexString() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (short)context.TraceFlags });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)carried ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        long id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        Tracing.CurrentSpan.SetAttribute("workflow.execution.id", id);
        WorkflowTelemetry.Created.Add(1, new KeyValuePair<string, object?>("workflow.queue", queue));
        return id;
    }

    /// <summary>
    /// Claims the oldest queued execution of <paramref name="queue"/> for <paramref name="workerId"/>, or
    /// returns null. The <c>db.claim_execution</c> span is recorded by the caller once the row says
    /// which trace the claim belongs to (see <see cref="RecordClaimSpan"/>).
    /// </summary>
    public async Task<ClaimedExecution?> ClaimAsync(string queue, string workerId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter { Value = queue });
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        string? traceId = reader.IsDBNull(4) ? null : reader.GetString(4);
        string? spanId = reader.IsDBNull(5) ? null : reader.GetString(5);
        byte flags = (byte)reader.GetInt16(6);
        string? traceState = reader.IsDBNull(7) ? null : reader.GetString(7);
        string? attemptTrace = reader.IsDBNull(10) ? null : reader.GetString(10);
        string? attemptSpan = reader.IsDBNull(11) ? null : reader.GetString(11);
        return new ClaimedExecution
        {
            Id = reader.GetInt64(0),
            Type = reader.GetString(1),
            Queue = queue,
            InputsJson = reader.GetString(2),
            ParentId = reader.IsDBNull(3) ? null : reader.GetInt64(3),
            CreatorContext = ToContext(traceId, spanId, flags, traceState),
            Baggage = reader.IsDBNull(8) ? null : reader.GetString(8),
            Attempt = reader.GetInt32(9),
            PreviousAttempt = ToContext(attemptTrace, attemptSpan, flags, traceState),
            ClaimLatencySeconds = reader.IsDBNull(12) ? 0 : Math.Max(0, reader.GetDouble(12)),
        };
    }

    /// <summary>
    /// Records the <c>db.claim_execution</c> span in the claimed execution's trace (the caller continues
    /// the row's context first), starting when the claim statement was sent.
    /// </summary>
    public void RecordClaimSpan(ClaimedExecution execution, string workerId, long startedUnixNano)
    {
        using SpanScope span = SpanScope.Start(s_claim);
        span.Span.SetStartTime(startedUnixNano);
        WorkflowTelemetry.SetConnectionAttributes(span, Target);
        span.SetAttribute("workflow.execution.id", execution.Id);
        span.SetAttribute("workflow.execution.attempt", execution.Attempt);
        span.SetAttribute("workflow.queue", execution.Queue);
        span.SetAttribute("workflow.worker.id", workerId);
    }

    /// <summary>Marks a claimed execution running and stores this attempt's span, for a later re-run's link.</summary>
    public async Task<bool> MarkRunningAsync(long id, string workerId, SpanContext attempt, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(StartSql);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        command.Parameters.Add(new NpgsqlParameter { Value = attempt.IsValid ? attempt.TraceId.ToHexString() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = attempt.IsValid ? attempt.SpanId.ToHexString() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Stores the result (or the error) in a <c>db.report_result</c> span. False when the claim was lost
    /// (the worker was presumed dead and the execution reassigned).
    /// </summary>
    public Task<bool> ReportAsync(long id, string workerId, string? resultJson, string? error, CancellationToken cancellationToken = default)
    {
        AsyncSpanScope span = AsyncSpanScope.Start(s_report);
        WorkflowTelemetry.SetConnectionAttributes(span, Target);
        span.SetAttribute("workflow.execution.id", id);
        span.SetAttribute("workflow.execution.status", error is null ? "completed" : "failed");
        Task<bool> task;
        try
        {
            task = UpdateResultAsync(id, workerId, resultJson, error, cancellationToken);
        }
        catch (Exception ex)
        {
            span.Fail(ex);
            throw;
        }
        return span.Track(task);
    }

    private async Task<bool> UpdateResultAsync(long id, string workerId, string? resultJson, string? error, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(ReportSql);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        command.Parameters.Add(new NpgsqlParameter { Value = error is null ? "completed" : "failed" });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)resultJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// One heartbeat round trip: refresh this worker, reassign the claims of workers silent for longer
    /// than <paramref name="deadAfter"/>, and read the queue depth and active workers for the gauges.
    /// Returns the ids of reassigned executions.
    /// </summary>
    public async Task<List<long>> HeartbeatAsync(string workerId, string queue, TimeSpan deadAfter, CancellationToken cancellationToken = default)
    {
        await using NpgsqlBatch batch = _dataSource.CreateBatch();
        var beat = new NpgsqlBatchCommand(HeartbeatSql);
        beat.Parameters.Add(new NpgsqlParameter { Value = workerId });
        beat.Parameters.Add(new NpgsqlParameter { Value = queue });
        var reassign = new NpgsqlBatchCommand(ReassignSql);
        reassign.Parameters.Add(new NpgsqlParameter { Value = deadAfter.TotalSeconds });
        var gauges = new NpgsqlBatchCommand(GaugesSql);
        gauges.Parameters.Add(new NpgsqlParameter { Value = queue });
        gauges.Parameters.Add(new NpgsqlParameter { Value = deadAfter.TotalSeconds });
        batch.BatchCommands.Add(beat);
        batch.BatchCommands.Add(reassign);
        batch.BatchCommands.Add(gauges);
        var reassigned = new List<long>();
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            reassigned.Add(reader.GetInt64(0));
        }
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            WorkflowTelemetry.RecordGauges(queue, reader.GetInt64(0), reader.GetInt64(1));
        }
        return reassigned;
    }

    /// <summary>Removes a worker that stops cleanly (its claims, if any, are reassigned by the next heartbeat anywhere).</summary>
    public async Task RemoveWorkerAsync(string workerId, CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand("DELETE FROM workers WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The data source, for queries the sample's callers want to run.</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static SpanContext ToContext(string? traceId, string? spanId, byte flags, string? traceState)
    {
        if (traceId is null || spanId is null)
        {
            return default;
        }
        TraceParent.TryParse($"00-{traceId}-{spanId}-{flags:x2}", traceState, out SpanContext context);
        return context;
    }
}
