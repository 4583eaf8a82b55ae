using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OtelGen;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Samples.Workflow;

/// <summary>What a function gets: its execution, and a way to create child executions in the same trace.</summary>
public sealed class ExecutionRun
{
    private readonly ExecutionStore _store;

    internal ExecutionRun(ExecutionStore store, ClaimedExecution execution)
    {
        _store = store;
        Execution = execution;
    }

    /// <summary>The claimed row.</summary>
    public ClaimedExecution Execution { get; }

    /// <summary>Creates a child execution: it inherits this trace (its creator span is a child of this function's span).</summary>
    public Task<long> CreateChildAsync(string type, string inputsJson, string? queue = null, CancellationToken cancellationToken = default) =>
        _store.CreateAsync(type, inputsJson, queue ?? Execution.Queue, Execution.Id, cancellationToken);
}

/// <summary>A user function: gets the run, returns the result as JSON (or null).</summary>
public delegate Task<string?> ExecutionFunction(ExecutionRun run, CancellationToken cancellationToken);

/// <summary>Worker settings.</summary>
public sealed record WorkerOptions
{
    /// <summary>This worker's id (unique among live workers).</summary>
    public string WorkerId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    /// <summary>The queue to claim from.</summary>
    public string Queue { get; init; } = "default";
    /// <summary>How often the worker heartbeats (and reassigns dead workers' claims).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>A worker silent for this long is dead and its claims are reassigned.</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long to wait before polling again when the queue is empty.</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// Claims executions with <c>FOR UPDATE SKIP LOCKED</c> and runs them. For each claimed row it continues
/// the trace stored in the row, so the claim, the function and the result report are children of the
/// span that created the execution, in whatever process created it.
/// </summary>
public sealed class Worker
{
    private readonly ExecutionStore _store;
    private readonly WorkerOptions _options;
    private readonly Dictionary<string, (SpanDescriptor Span, ExecutionFunction Function)> _functions = new(StringComparer.Ordinal);
    private readonly KeyValuePair<string, object?> _queueTag;
    private static readonly SpanDescriptor s_heartbeat = new("worker.heartbeat", ActivityKind.Internal);

    /// <summary>Makes a worker on <paramref name="store"/>.</summary>
    public Worker(ExecutionStore store, WorkerOptions options)
    {
        _store = store;
        _options = options;
        _queueTag = new("workflow.queue", options.Queue);
    }

    /// <summary>The settings.</summary>
    public WorkerOptions Options => _options;

    /// <summary>
    /// Registers the function that runs executions of <paramref name="executionType"/>; its span is
    /// <c>{executionType}.{functionName}</c>.
    /// </summary>
    public Worker Register(string executionType, string functionName, ExecutionFunction function)
    {
        var descriptor = new SpanDescriptor($"{executionType}.{functionName}", ActivityKind.Consumer, new KeyValue[]
        {
            new("workflow.execution.type", executionType),
            new("code.function.name", functionName),
        });
        _functions[executionType] = (descriptor, function);
        return this;
    }

    /// <summary>Heartbeats and claims until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
        Task heartbeats = HeartbeatLoopAsync(cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (!await RunOnceAsync(cancellationToken).ConfigureAwait(false))
                {
                    await Task.Delay(_options.IdlePoll, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await heartbeats.ConfigureAwait(false);
        await _store.RemoveWorkerAsync(_options.WorkerId, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Claims and runs at most one execution; false when the queue had none.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        long claimStarted = SpanClock.NowUnixNanos();
        ClaimedExecution? execution = await _store.ClaimAsync(_options.Queue, _options.WorkerId, cancellationToken).ConfigureAwait(false);
        if (execution is null)
        {
            return false;
        }
        WorkflowTelemetry.Claimed.Add(1, _queueTag);
        WorkflowTelemetry.ClaimLatency.Record(execution.ClaimLatencySeconds, _queueTag);

        // Continue the creator's trace from the row: everything below is its child.
        SpanContext creator = execution.CreatorContext;
        using (TraceContext.Continue(creator.IsValid ? creator.ToTraceParent() : null, creator.TraceState, execution.Baggage))
        {
            _store.RecordClaimSpan(execution, _options.WorkerId, claimStarted);
            await ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>One heartbeat, in a <c>worker.heartbeat</c> span: also reassigns dead workers' claims.</summary>
    public Task<List<long>> HeartbeatAsync(CancellationToken cancellationToken = default)
    {
        AsyncSpanScope span = AsyncSpanScope.Start(s_heartbeat);
        span.SetAttribute("workflow.worker.id", _options.WorkerId);
        span.SetAttribute("workflow.queue", _options.Queue);
        Task<List<long>> task;
        try
        {
            task = HeartbeatCoreAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            span.Fail(ex);
            throw;
        }
        return span.Track(task);
    }

    private async Task<List<long>> HeartbeatCoreAsync(CancellationToken cancellationToken)
    {
        List<long> reassigned = await _store.HeartbeatAsync(_options.WorkerId, _options.Queue, _options.DeadAfter, cancellationToken).ConfigureAwait(false);
        Tracing.CurrentSpan.SetAttribute("workflow.executions.reassigned", reassigned.Count);
        return reassigned;
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, cancellationToken).ConfigureAwait(false);
                await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A missed heartbeat is not fatal; enough of them and another worker reassigns our claims.
                Console.Error.WriteLine($"[workflow] heartbeat failed: {ex.Message}");
            }
        }
    }

    private async Task ExecuteAsync(ClaimedExecution execution, CancellationToken cancellationToken)
    {
        if (!_functions.TryGetValue(execution.Type, out (SpanDescriptor Span, ExecutionFunction Function) registered))
        {
            await _store.ReportAsync(execution.Id, _options.WorkerId, null, $"no function registered for type '{execution.Type}'", cancellationToken).ConfigureAwait(false);
            WorkflowTelemetry.Completed.Add(1, _queueTag, new("workflow.execution.status", "failed"));
            return;
        }

        long started = Stopwatch.GetTimestamp();
        string? result = null;
        string? error = null;
        AsyncSpanScope span = AsyncSpanScope.Start(registered.Span);
        Task<string?> task;
        try
        {
            task = RunFunctionAsync(registered.Function, execution, cancellationToken);
        }
        catch (Exception ex)
        {
            span.Fail(ex);
            task = Task.FromException<string?>(ex);
        }
        try
        {
            result = await span.Track(task).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex.GetType().Name + ": " + ex.Message;
        }
        WorkflowTelemetry.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _queueTag, new("workflow.execution.type", execution.Type));

        bool reported = await _store.ReportAsync(execution.Id, _options.WorkerId, result, error, cancellationToken).ConfigureAwait(false);
        if (reported)
        {
            WorkflowTelemetry.Completed.Add(1, _queueTag, new("workflow.execution.status", error is null ? "completed" : "failed"));
        }
    }

    private async Task<string?> RunFunctionAsync(ExecutionFunction function, ClaimedExecution execution, CancellationToken cancellationToken)
    {
        // In the function span's flow. A re-run links to the attempt that died.
        Tracing.CurrentSpan.SetAttribute("workflow.execution.id", execution.Id);
        Tracing.CurrentSpan.SetAttribute("workflow.execution.attempt", execution.Attempt);
        Tracing.CurrentSpan.SetAttribute("workflow.worker.id", _options.WorkerId);
        if (execution.PreviousAttempt.IsValid)
        {
            Tracing.CurrentSpan.AddLink(execution.PreviousAttempt, new KeyValue[]
            {
                new(WorkflowTelemetry.LinkReason, "previous_attempt"),
                new("workflow.execution.attempt", execution.Attempt - 1),
            });
        }
        await _store.MarkRunningAsync(execution.Id, _options.WorkerId, TraceContext.Current, cancellationToken).ConfigureAwait(false);
        return await function(new ExecutionRun(_store, execution), cancellationToken).ConfigureAwait(false);
    }
}
