using System;
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
