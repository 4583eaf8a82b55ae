using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using OtelGen.Context;
using OtelGen.Jobs;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Jobs;

public sealed class JobLifecycleTests : IDisposable
{
    private static readonly SpanDescriptor Outer = new("outer", ActivityKind.Internal);
    private static readonly SpanDescriptor Inner = new("inner", ActivityKind.Internal);
    private readonly ManualClock _clock = new();

    public JobLifecycleTests()
    {
        Tracing.Enable();
        JobSettings.PromoteQueueMs = 5;
        JobSettings.PromoteParkMs = 5;
        JobSettings.DebugJobs = false;
    }

    public void Dispose()
    {
        _clock.Dispose();
        Tracing.Enable();
        JobSettings.ReloadFromEnvironment();
    }

    private static SpanRecord[] SpansOf(TraceId traceId) => Tracing.Ring.Snapshot().Where(s => s.TraceId == traceId).ToArray();

    [Fact]
    public void Job_span_is_a_child_of_the_span_current_at_enqueue_and_parents_work_run_on_another_thread()
    {
        var queue = new BlockingCollection<Job>();
        TraceId traceId;
        SpanId outerId;
        using (var outer = SpanScope.Start(Outer))
        {
            traceId = outer.Context.TraceId;
            outerId = outer.Context.SpanId;
            queue.Add(Job.EnqueueStep("work", "q", 1));
        }
        SpanContext afterRun = default;
        SpanContext innerParentSeen = default;
        var worker = new Thread(() =>
        {
            Job job = queue.Take();
            job.Taken(queue.Count);
            using (JobRun run = job.Run())
            {
                innerParentSeen = run.Context;
                using var inner = SpanScope.Start(Inner);
            }
            // The borrowed frame is gone: a span started now has no parent on this thread.
            using (var after = SpanScope.Start(Inner))
            {
                afterRun = after.Context;
            }
            job.Completed(true);
        });
        worker.Start();
        Assert.True(worker.Join(TimeSpan.FromSeconds(10)));

        SpanRecord[] spans = SpansOf(traceId);
        SpanRecord step = spans.Single(s => s.Name == "step.work");
        SpanRecord inner = spans.Single(s => s.Name == "inner");
        Assert.Equal(outerId, step.ParentSpanId);
        Assert.Equal(step.SpanId, inner.ParentSpanId);
        Assert.Equal(step.SpanId, innerParentSeen.SpanId);
        Assert.NotEqual(traceId, afterRun.TraceId);
    }

    [Fact]
    public void A_run_inside_an_open_scope_nests_and_gives_the_scope_back()
    {
        TraceId traceId;
        SpanId outerId;
        Job job;
        using (var outer = SpanScope.Start(Outer))
        {
            traceId = outer.Context.TraceId;
            outerId = outer.Context.SpanId;
            job = Job.EnqueueStep("nested", "q", 0);
            using (job.Run())
            {
                using var inner = SpanScope.Start(Inner);
            }
            // Back to the outer scope.
            Assert.Equal(outerId, OtelGen.Context.TraceContext.Current.SpanId);
            using (var sibling = SpanScope.Start(Inner))
            {
                Assert.Equal(traceId, sibling.Context.TraceId);
            }
            job.Completed(true);
        }
        SpanRecord[] spans = SpansOf(traceId);
        SpanRecord step = spans.Single(s => s.Name == "step.nested");
        Assert.Equal(outerId, step.ParentSpanId);
        Assert.Equal(new[] { step.SpanId, outerId }, spans.Where(s => s.Name == "inner").Select(s => s.ParentSpanId).ToArray());
    }

    [Fact]
    public void A_run_left_open_is_neither_ended_nor_reused_by_the_scopes_around_it()
    {
        Job job = Job.EnqueueStep("left_open", "q", 0);
        SpanContext jobContext = job.Context;
        var outer = SpanScope.Start(Outer);
        JobRun forgotten = job.Run();
        // The outer scope ends with the run still on the stack: the job's span is not the outer scope's to end.
        outer.Dispose();
        Assert.True(job.Context.IsValid);
        using (var next = SpanScope.Start(Inner))
        {
            Assert.NotEqual(jobContext.TraceId, next.Context.TraceId);
            // This one lands on the stack slot the forgotten run still occupies: it must get a fresh frame.
            using var nested = SpanScope.Start(Inner);
            Assert.Equal(next.Context.TraceId, nested.Context.TraceId);
            Assert.Equal(jobContext, job.Context);
        }
        forgotten.Dispose();
        job.Completed(true);
        SpanRecord step = SpansOf(jobContext.TraceId).Single(s => s.SpanId == jobContext.SpanId);
        Assert.Equal("step.left_open", step.Name);
    }

    [Fact]
    public void Debug_jobs_promotes_every_wait_however_short()
    {
        JobSettings.DebugJobs = true;
        Job job = Job.EnqueueStep("debug", "q", 2);
        TraceId traceId = job.Context.TraceId;
        _clock.Advance(0.01);
        job.Taken(1);
        job.Started();
        job.Parked(ParkCause.Other);
        _clock.Advance(0.01);
        job.Resumed();
        job.Completed(true);

        SpanRecord[] spans = SpansOf(traceId);
        Assert.Single(spans, s => s.Name == "job.queue_wait");
        Assert.Single(spans, s => s.Name == "job.park");
    }

    [Fact]
    public void Thresholds_are_inclusive()
    {
        JobSettings.PromoteParkMs = 3;
        Job job = Job.EnqueueStep("edges", "q", 0);
        TraceId traceId = job.Context.TraceId;
        _clock.Advance(5);
        job.Taken(0);
        job.Started();
        job.Parked(ParkCause.Lock);
        _clock.Advance(3);
        job.Resumed();
        job.Parked(ParkCause.Lock);
        _clock.Advance(2.999);
        job.Completed(true);

        SpanRecord[] spans = SpansOf(traceId);
        Assert.Single(spans, s => s.Name == "job.queue_wait");
        Assert.Single(spans, s => s.Name == "job.park");
        SpanRecord step = spans.Single(s => s.Name == "step.edges");
        Assert.True(step.TryGetAttribute("job.park_count", out AttributeValue count));
        Assert.Equal(2, count.AsLong());
    }

    [Fact]
    public void Steps_out_of_order_are_filled_in_and_repeated_calls_do_nothing()
    {
        Job job = Job.EnqueueEffect("db.get", "blog_post", "io", 4);
        TraceId traceId = job.Context.TraceId;
        _clock.Advance(2);
        // Cancelled while still queued: the queue phase closes at completion.
        job.Completed(false);
        job.Completed(true);
        job.Taken(0);
        job.Parked(ParkCause.IoWait);
        Assert.Equal(JobState.Completed, job.State);
        Assert.False(job.Context.IsValid);

        SpanRecord span = SpansOf(traceId).Single();
        Assert.True(span.TryGetAttribute("job.queue_wait_ms", out AttributeValue wait));
        Assert.Equal(2.0, wait.AsDouble(), 9);
        Assert.Equal(SpanStatusCode.Error, span.StatusCode);
        Assert.True(span.TryGetAttribute("error.type", out AttributeValue type));
        Assert.Equal("_OTHER", type.AsString());

        var nothing = default(Job);
        nothing.Taken(1);
        nothing.Started();
        using (nothing.Run())
        {
        }
        nothing.Completed(true);
        Assert.Equal(JobState.None, nothing.State);
    }

    [Fact]
    public void With_tracing_off_jobs_record_nothing_and_do_not_fail()
    {
        long before = Tracing.Ring.Written;
        Tracing.Disable();
        Job job = Job.EnqueueStep("dark", "q", 1);
        job.Taken(0);
        using (job.Run())
        {
            StandardEvents.SlotWrite("x", 1);
        }
        job.Parked(ParkCause.Timer);
        job.Resumed();
        job.Completed(true);
        Tracing.Enable();
        Assert.False(job.Context.IsValid);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(before, Tracing.Ring.Written);
    }

    [Fact]
    public void Lifecycle_without_promotion_allocates_nothing_per_job()
    {
        SpanDescriptor step = JobNames.Step("alloc");
        void OneJob()
        {
            Job job = Job.Enqueue(step, "q", 1);
            _clock.Advance(0.01);
            job.Taken(0);
            using (job.Run())
            {
                _clock.Advance(0.01);
            }
            job.Parked(ParkCause.IoWait, "need", 1, 4);
            _clock.Advance(0.01);
            job.Resumed();
            using (job.Run())
            {
                _clock.Advance(0.01);
            }
            job.Completed(true);
        }
        // Warm up: every ring slot grows its arrays once (two spans per job: the step and its resume segment).
        for (int i = 0; i < Tracing.Ring.Capacity; i++)
        {
            OneJob();
        }
        long written = Tracing.Ring.Written;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            OneJob();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        // And the spans were really recorded.
        Assert.Equal(2000, Tracing.Ring.Written - written);
    }

    [Fact]
    public void Standard_events_go_to_the_current_span_with_stable_names_and_attributes()
    {
        TraceId traceId;
        using (var scope = SpanScope.Start(Outer))
        {
            traceId = scope.Context.TraceId;
            StandardEvents.NeedRequested(new[] { "db.get blog_post" }, NeedMode.Parallel, NeedJoin.Any);
            _clock.Advance(1);
            StandardEvents.NeedJoined(1, 0, 1.0);
            StandardEvents.SlotWrite("post", 128);
            StandardEvents.Retry(2, "timeout", 40);
        }
        // Without a current span they do nothing.
        StandardEvents.Retry(1, "nothing", 0);

        SpanRecord span = SpansOf(traceId).Single();
        string Render(int i) => span.Events[i].Name + " " + string.Join(" ", span.NestedRange(span.Events[i].AttributeStart, span.Events[i].AttributeCount).ToArray().Select(kv => kv.ToString()));
        Assert.Equal(
            new[]
            {
                "need.requested effects=[db.get blog_post] mode=parallel join=any",
                "need.join completed=1 failed=0 duration_ms=1",
                "slot.write slot=post size_bytes=128",
                "retry attempt=2 reason=timeout backoff_ms=40",
            },
            Enumerable.Range(0, span.EventCount).Select(Render));
    }

    [Fact]
    public void Step_failures_follow_the_status_policy()
    {
        Job system = Job.EnqueueStep("sys", "q", 0);
        Job business = Job.EnqueueStep("biz", "q", 0);
        Job thrown = Job.EnqueueStep("thrown", "q", 0);
        Job optional = Job.EnqueueEffect("cache.get", "author", "io", 0, optional: true);
        TraceId[] ids = { system.Context.TraceId, business.Context.TraceId, thrown.Context.TraceId, optional.Context.TraceId };
        system.Failed("timeout");
        business.Failed(new ArgumentException("bad id"), systemFailure: false);
        thrown.Failed(new InvalidOperationException("broken"));
        optional.Failed("timeout");

        SpanRecord[] spans = ids.Select(id => SpansOf(id).Single()).ToArray();
        Assert.Equal(new[] { SpanStatusCode.Error, SpanStatusCode.Ok, SpanStatusCode.Error, SpanStatusCode.Unset }, spans.Select(s => s.StatusCode));
        Assert.Equal("broken", spans[2].StatusMessage);
        Assert.Null(spans[1].StatusMessage);
        // Exceptions always record the exception event, even when the status stays OK.
        Assert.Equal("exception", spans[1].Events[0].Name);
        Assert.True(spans[3].TryGetAttribute("error.type", out AttributeValue type));
        Assert.Equal("timeout", type.AsString());
    }
}

public sealed class JobFlowTests
{
    private static readonly SpanDescriptor Inner = new("inner", ActivityKind.Internal);

    public JobFlowTests() => Tracing.Enable();

    [Fact]
    public async System.Threading.Tasks.Task An_async_body_keeps_the_job_current_across_awaits_and_tasks()
    {
        SpanContext before = TraceContext.Current;
        Job job = Job.EnqueueStep("async_body", "q", 0);
        TraceId traceId = job.Context.TraceId;
        SpanId stepId = job.Context.SpanId;
        job.Taken(0);
        using (job.RunInFlow())
        {
            await System.Threading.Tasks.Task.Yield();
            using (var inner = SpanScope.Start(Inner))
            {
            }
            StandardEvents.SlotWrite("draft", 10);
        }
        Assert.Equal(before, TraceContext.Current);
        job.Parked(ParkCause.IoWait);
        await System.Threading.Tasks.Task.Delay(1);
        SpanId resumeId;
        using (JobFlowScope run = job.RunInFlow())
        {
            resumeId = run.Context.SpanId;
            await System.Threading.Tasks.Task.Run(() =>
            {
                using var inner = SpanScope.Start(Inner);
            });
        }
        job.Completed(true);
        Assert.Equal(before, TraceContext.Current);

        SpanRecord[] spans = Tracing.Ring.Snapshot().Where(s => s.TraceId == traceId).ToArray();
        SpanRecord step = spans.Single(s => s.Name == "step.async_body");
        SpanRecord resume = spans.Single(s => s.Name == "step.async_body.resume");
        Assert.Equal(stepId, step.SpanId);
        Assert.Equal(resumeId, resume.SpanId);
        Assert.Equal(step.SpanId, resume.ParentSpanId);
        Assert.Equal(new[] { step.SpanId, resume.SpanId }, spans.Where(s => s.Name == "inner").OrderBy(s => s.StartUnixNano).Select(s => s.ParentSpanId).ToArray());
        Assert.Contains(Enumerable.Range(0, step.EventCount), i => step.Events[i].Name == "slot.write");
    }

    [Fact]
    public async System.Threading.Tasks.Task The_flow_is_restored_even_when_the_job_completed_first()
    {
        SpanContext before = TraceContext.Current;
        Job job = Job.EnqueueStep("completes_inside", "q", 0);
        JobFlowScope run = job.RunInFlow();
        SpanId stepId = run.Context.SpanId;
        await System.Threading.Tasks.Task.Yield();
        Assert.Equal(stepId, TraceContext.Current.SpanId);
        job.Completed(true);
        run.Dispose();
        Assert.Equal(before, TraceContext.Current);
    }
}
