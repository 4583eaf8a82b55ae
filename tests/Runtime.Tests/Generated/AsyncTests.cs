using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Generated;

public class AsyncSample
{
    [Traced]
    public async Task<int> AwaitGate(Task<int> gate) => await gate.ConfigureAwait(false) + 1;

    [Traced]
    public async Task Gate(Task gate) => await gate;

    [Traced]
    public async ValueTask<int> ValueGate(Task<int> gate) => await gate + 2;

    [Traced]
    public async ValueTask PlainValueGate(Task gate) => await gate;

    [Traced]
    public ValueTask<int> CompletedValue() => new(7);

    [Traced]
    public async Task FailLater()
    {
        await Task.Yield();
        throw new InvalidOperationException("late");
    }

    [Traced]
    public Task<int> FailEarly() => throw new ArgumentException("early");

    [Traced]
    public async Task WaitForever(CancellationToken cancellationToken) => await Task.Delay(Timeout.Infinite, cancellationToken);

    // A context scope left open to the end of the method: the method's last step runs in the scope's flow.
    [Traced]
    public async Task<int> LeaveScopeOpen(Task<int> gate)
    {
        OtelGen.Context.TraceContext.Continue("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        return await gate + 3;
    }

    // Five ways an async method's last step can run: after a yield, after a timer, after a gate another thread opens,
    // at once (no await reached), or with an exception after a yield.
    [Traced]
    public async Task<int> Mixed(int i, Task gate)
    {
        switch (i % 5)
        {
            case 0:
                await Task.Yield();
                return i;
            case 1:
                await Task.Delay(1);
                return i;
            case 2:
                await gate;
                return i;
            case 3:
                if (i < 0)
                {
                    await Task.Yield(); // never: this one completes without awaiting
                }
                return i;
            default:
                await Task.Yield();
                throw new InvalidOperationException("mixed " + i);
        }
    }

    [Traced]
    public async Task<int> Level(int depth, Task gate)
    {
        if (depth <= 1)
        {
            await gate;
            return 1;
        }
        return 1 + await Level(depth - 1, gate);
    }
}

public class AsyncTests
{
    private readonly AsyncSample _sample = new();

    [Fact]
    public async Task A_Task_of_T_span_ends_when_the_task_completes_not_at_the_first_await()
    {
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> task = _sample.AwaitGate(gate.Task);
        Assert.False(task.IsCompleted);
        Assert.DoesNotContain(Recorded.Since(before), s => s.Name == "AsyncSample.AwaitGate");
        gate.SetResult(41);
        Assert.Equal(42, await task);
        SpanRecord span = Recorded.Eventually("AsyncSample.AwaitGate", before);
        Assert.Equal(SpanStatusCode.Unset, span.StatusCode);
    }

    [Fact]
    public async Task An_async_methods_span_has_ended_when_the_awaiting_caller_resumes()
    {
        // The span ends as the method's flow is left, before the caller's continuation runs: no waiting here.
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> task = _sample.AwaitGate(gate.Task);
        _ = Task.Run(() => gate.SetResult(1));
        Assert.Equal(2, await task);
        Assert.Contains(Recorded.Since(before), s => s.Name == "AsyncSample.AwaitGate");
    }

    [Fact]
    public async Task Nested_async_methods_each_end_in_order_with_their_parents_after_their_children()
    {
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> task = _sample.Level(5, gate.Task);
        Assert.DoesNotContain(Recorded.Since(before), s => s.Name == "AsyncSample.Level");
        gate.SetResult();
        Assert.Equal(5, await task);
        List<SpanRecord> levels = Recorded.Since(before).Where(s => s.Name == "AsyncSample.Level").ToList();
        Assert.Equal(5, levels.Count);
        for (int i = 1; i < levels.Count; i++)
        {
            // Written innermost first; each the parent of the one before, ending no earlier.
            Assert.Equal(levels[i].SpanId, levels[i - 1].ParentSpanId);
            Assert.True(levels[i].EndUnixNano >= levels[i - 1].EndUnixNano);
        }
    }

    [Fact]
    public async Task Async_spans_called_and_not_awaited_end_when_their_tasks_complete()
    {
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int>[] calls = Enumerable.Range(0, 20).Select(_ => _sample.Level(1, gate.Task)).ToArray();
        await Task.Delay(10);
        Assert.DoesNotContain(Recorded.Since(before), s => s.Name == "AsyncSample.Level");
        // Completed from the thread pool, nobody awaiting yet: each method's last step leaves its flow there.
        gate.SetResult();
        Assert.Equal(20, Recorded.Eventually("AsyncSample.Level", before, 20).Count);
        Assert.Equal(20, (await Task.WhenAll(calls)).Sum());
    }

    [Fact]
    public async Task Every_span_of_many_concurrent_async_calls_ends_once_whichever_way_each_completes()
    {
        const int calls = 2000;
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int>[] started = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
            Enumerable.Range(0, calls / 8).Select(k => _sample.Mixed(worker * (calls / 8) + k, gate.Task)).ToArray())))
            .ContinueWith(t => t.Result.SelectMany(x => x).ToArray());
        _ = Task.Run(async () =>
        {
            await Task.Delay(20);
            gate.SetResult();
        });
        int failed = 0;
        foreach (Task<int> call in started)
        {
            try
            {
                await call;
            }
            catch (InvalidOperationException)
            {
                failed++;
            }
        }
        Assert.Equal(calls / 5, failed);
        List<SpanRecord> spans = Recorded.Eventually("AsyncSample.Mixed", before, calls);
        Assert.Equal(calls, spans.Count);
        Assert.Equal(calls, spans.Select(s => s.SpanId).Distinct().Count());
        Assert.Equal(calls / 5, spans.Count(s => s.StatusCode == SpanStatusCode.Error));
        Assert.All(spans, s => Assert.True(s.EndUnixNano >= s.StartUnixNano));
    }

    [Fact]
    public async Task A_context_scope_left_open_inside_an_async_method_does_not_lose_its_span()
    {
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> task = _sample.LeaveScopeOpen(gate.Task);
        gate.SetResult(1);
        Assert.Equal(4, await task);
        Recorded.Eventually("AsyncSample.LeaveScopeOpen", before);
    }

    [Fact]
    public async Task A_Task_span_ends_when_the_task_completes()
    {
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task task = _sample.Gate(gate.Task);
        Assert.DoesNotContain(Recorded.Since(before), s => s.Name == "AsyncSample.Gate");
        gate.SetResult();
        await task;
        Recorded.Eventually("AsyncSample.Gate", before);
    }

    [Fact]
    public async Task ValueTask_spans_end_when_the_value_task_completes()
    {
        long before = Tracing.Ring.Written;
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var plain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask<int> value = _sample.ValueGate(gate.Task);
        ValueTask unit = _sample.PlainValueGate(plain.Task);
        Assert.DoesNotContain(Recorded.Since(before), s => s.Name is "AsyncSample.ValueGate" or "AsyncSample.PlainValueGate");
        gate.SetResult(1);
        plain.SetResult();
        Assert.Equal(3, await value);
        await unit;
        Recorded.Eventually("AsyncSample.ValueGate", before);
        Recorded.Eventually("AsyncSample.PlainValueGate", before);
    }

    [Fact]
    public async Task A_synchronously_completed_ValueTask_ends_its_span_at_once()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal(7, await _sample.CompletedValue());
        Recorded.Single("AsyncSample.CompletedValue", before);
    }

    [Fact]
    public async Task A_faulted_task_marks_the_span_error_and_the_exception_reaches_the_caller_unchanged()
    {
        long before = Tracing.Ring.Written;
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => _sample.FailLater());
        Assert.Equal("late", thrown.Message);
        SpanRecord span = Recorded.Eventually("AsyncSample.FailLater", before);
        Assert.Equal(SpanStatusCode.Error, span.StatusCode);
        Assert.Equal("System.InvalidOperationException", Recorded.Attribute(span, "error.type").AsString());
        Assert.Equal("exception", span.Events[0].Name);
    }

    [Fact]
    public void A_task_method_that_throws_before_returning_a_task_ends_its_span_with_the_error()
    {
        long before = Tracing.Ring.Written;
        Exception? thrown = null;
        try
        {
            _ = _sample.FailEarly();
        }
        catch (ArgumentException ex)
        {
            thrown = ex;
        }
        Assert.Equal("early", thrown?.Message);
        SpanRecord span = Recorded.Single("AsyncSample.FailEarly", before);
        Assert.Equal(SpanStatusCode.Error, span.StatusCode);
        Assert.Equal("System.ArgumentException", Recorded.Attribute(span, "error.type").AsString());
    }

    [Fact]
    public async Task A_cancelled_task_ends_its_span_as_cancelled()
    {
        long before = Tracing.Ring.Written;
        using var cancellation = new CancellationTokenSource();
        Task task = _sample.WaitForever(cancellation.Token);
        Assert.DoesNotContain(Recorded.Since(before), s => s.Name == "AsyncSample.WaitForever");
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        SpanRecord span = Recorded.Eventually("AsyncSample.WaitForever", before);
        Assert.Equal(SpanStatusCode.Error, span.StatusCode);
        Assert.Equal("System.Threading.Tasks.TaskCanceledException", Recorded.Attribute(span, "error.type").AsString());
    }
}
