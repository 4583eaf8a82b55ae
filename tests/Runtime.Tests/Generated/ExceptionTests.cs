using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Generated;

public static class ThrowingSample
{
    [Traced]
    public static int Fail(int depth) => depth == 0 ? throw new InvalidOperationException("bottom") : Fail(depth - 1) + 1;

    [Traced]
    public static void Throw(string message) => throw new InvalidOperationException(message);

    [Traced]
    public static void CleansUp(string message)
    {
        try
        {
            Throw(message);
        }
        finally
        {
            Cleanup();
        }
    }

    [Traced]
    public static void Cleanup() { }

    [Traced]
    public static bool Inspect(Exception exception) => exception is InvalidOperationException;

    [Traced]
    public static async Task FailLaterAsync(string message)
    {
        await Task.Yield();
        throw new InvalidOperationException(message);
    }
}

/// <summary>
/// What tracing must not change about exceptions: one first-chance notification per throw, the same depth
/// survived, filters and finally blocks where they were, and a fire-and-forget fault still unobserved.
/// </summary>
public class ExceptionTests
{
    [Fact]
    public void One_throw_through_eleven_traced_frames_raises_one_first_chance_notification()
    {
        var seen = new List<Exception>();
        int thread = Environment.CurrentManagedThreadId;
        void OnFirstChance(object? sender, FirstChanceExceptionEventArgs e)
        {
            if (Environment.CurrentManagedThreadId == thread && e.Exception.Message == "bottom")
            {
                lock (seen)
                {
                    seen.Add(e.Exception);
                }
            }
        }
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
        try
        {
            Assert.Throws<InvalidOperationException>(() => ThrowingSample.Fail(10));
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
        }
        // A catch-and-rethrow per traced frame raised 12.
        Assert.Single(seen);
    }

    [Fact]
    public void An_exception_through_three_thousand_traced_frames_unwinds_on_a_four_megabyte_stack()
    {
        // A rethrow per frame dispatched the exception again on top of the frames still on the stack: about
        // 100 traced frames overflowed a 1.5 MB stack, 550 an 8 MB one. The exception's text is rendered once,
        // not per frame (that took 78 s here), and every span records it.
        long before = Tracing.Ring.Written;
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                ThrowingSample.Fail(3000);
            }
            catch (InvalidOperationException e)
            {
                caught = e;
            }
        }, 4 * 1024 * 1024);
        thread.Start();
        thread.Join();
        Assert.Equal("bottom", Assert.IsType<InvalidOperationException>(caught).Message);
        List<SpanRecord> failed = Recorded.Since(before).FindAll(s => s.Name == "ThrowingSample.Fail");
        Assert.Equal(3001, failed.Count);
        Assert.All(failed, s => Assert.Equal(SpanStatusCode.Error, s.StatusCode));
        static string Trace(SpanRecord s) => s.NestedRange(s.Events[0].AttributeStart, s.Events[0].AttributeCount)[2].Value.AsString();
        string innermost = Trace(failed[0]);
        Assert.Contains("bottom", innermost);
        Assert.All(failed, s => Assert.Same(innermost, Trace(s)));
    }

    [Fact]
    public void A_filter_above_a_traced_call_runs_while_the_callees_span_is_open_and_current()
    {
        // The rule (docs/generator.md): filters run in .NET's first pass, before any finally, so the failed
        // callee's span is still open and current in them; it ends when unwinding reaches its finally.
        long before = Tracing.Ring.Written;
        string? currentInFilter = null;
        bool inspected = false;
        try
        {
            ThrowingSample.Throw("filtered");
        }
        catch (InvalidOperationException e) when (Remember(e))
        {
        }

        bool Remember(Exception e)
        {
            currentInFilter = Tracing.CurrentSpan.SpanId;
            inspected = ThrowingSample.Inspect(e);
            return true;
        }

        Assert.True(inspected);
        SpanRecord thrown = Recorded.Single("ThrowingSample.Throw", before);
        SpanRecord inspect = Recorded.Single("ThrowingSample.Inspect", before);
        Assert.Equal(thrown.SpanId.ToHexString(), currentInFilter);
        Assert.Equal(thrown.SpanId, inspect.ParentSpanId);
        Assert.Equal(SpanStatusCode.Error, thrown.StatusCode);
        Assert.Equal("System.InvalidOperationException", Recorded.Attribute(thrown, "error.type").AsString());
        // Once caught, the span has ended: nothing is current any more.
        Assert.Null(Tracing.CurrentSpan.SpanId);
    }

    [Fact]
    public void A_finally_block_inside_a_traced_method_runs_inside_its_span_when_an_exception_passes()
    {
        long before = Tracing.Ring.Written;
        Assert.Throws<InvalidOperationException>(() => ThrowingSample.CleansUp("passing"));
        SpanRecord method = Recorded.Single("ThrowingSample.CleansUp", before);
        SpanRecord cleanup = Recorded.Single("ThrowingSample.Cleanup", before);
        Assert.Equal(method.SpanId, cleanup.ParentSpanId);
        Assert.Equal(SpanStatusCode.Error, method.StatusCode);
    }

    [Fact]
    public void A_fire_and_forget_faulted_traced_task_still_raises_UnobservedTaskException_and_its_span_has_the_exception()
    {
        long before = Tracing.Ring.Written;
        string message = "unobserved " + Guid.NewGuid().ToString("N");
        var raised = new ManualResetEventSlim();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.InnerException?.Message == message)
            {
                e.SetObserved();
                raised.Set();
            }
        }
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            WeakReference task = Forget(message);
            SpanRecord span = Recorded.Eventually("ThrowingSample.FailLaterAsync", before);
            Assert.Equal("System.InvalidOperationException", Recorded.Attribute(span, "error.type").AsString());
            Assert.Equal(message, span.StatusMessage);
            for (int i = 0; i < 50 && !raised.IsSet; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                raised.Wait(20);
            }
            Assert.False(task.IsAlive && !raised.IsSet, "the faulted task was never collected");
            Assert.True(raised.IsSet, "UnobservedTaskException was not raised for the faulted task");
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Forget(string message)
    {
        Task task = ThrowingSample.FailLaterAsync(message);
        ((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(10));
        return new WeakReference(task);
    }
}
