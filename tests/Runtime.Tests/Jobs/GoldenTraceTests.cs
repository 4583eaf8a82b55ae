using System;
using System.Diagnostics;
using System.Linq;
using OtelGen.Jobs;
using OtelGen.Spans;
using Xunit;
using Xunit.Abstractions;

namespace OtelGen.Runtime.Tests.Jobs;

/// <summary>
/// Whole request traces of a queue runtime, driven by a manual clock: the tree shape, names, kinds,
/// statuses, attributes and events are compared with a golden rendering, and every job's derived
/// durations are checked against its event timestamps.
/// </summary>
public sealed class GoldenTraceTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly ITestOutputHelper _output;

    public GoldenTraceTests(ITestOutputHelper output)
    {
        _output = output;
        Tracing.Enable();
        JobSettings.PromoteQueueMs = 5;
        JobSettings.PromoteParkMs = 5;
        JobSettings.DebugJobs = false;
        HttpServerSpan.EmitOldAttributes = false;
    }

    public void Dispose()
    {
        _clock.Dispose();
        JobSettings.ReloadFromEnvironment();
    }

    private static HttpServerSpan StartRequest(string path, string? route = "/posts/{id}") => HttpServerSpan.Start(new HttpServerRequest
    {
        Method = "GET",
        Route = route,
        Scheme = "http",
        Path = path,
        ServerAddress = "127.0.0.1",
        ServerPort = 8080,
        ClientAddress = "127.0.0.1",
        UserAgent = "golden/1.0",
        ProtocolVersion = "1.1",
    });

    private TraceTree Finish(HttpServerSpan request, int status)
    {
        var traceId = request.Context.TraceId;
        request.SetStatusCode(status);
        request.End();
        TraceTree tree = TraceTree.Read(traceId);
        _output.WriteLine(tree.Render());
        return tree;
    }

    /// <summary>An effect run by the I/O worker: taken, started and completed after the given waits.</summary>
    private void RunEffect(ref Job effect, double queueMs, double dispatchMs, double runMs, bool success = true)
    {
        _clock.Advance(queueMs);
        effect.Taken(0);
        _clock.Advance(dispatchMs);
        effect.Started();
        _clock.Advance(runMs);
        effect.Completed(success);
    }

    [Fact]
    public void Ok_200_without_promotion()
    {
        HttpServerSpan request = StartRequest("/posts/42");
        _clock.Advance(0.2);
        Job load = Job.EnqueueStep("load_post", "steps", 1);
        _clock.Advance(1);
        load.Taken(0);
        _clock.Advance(0.1);
        Job db;
        using (load.Run())
        {
            _clock.Advance(0.2);
            db = Job.EnqueueEffect("db.get", "blog_post", "io", 1);
            StandardEvents.NeedRequested(new[] { "db.get blog_post" }, NeedMode.Sequential, NeedJoin.All);
        }
        load.Parked(ParkCause.IoWait, "need-1");
        RunEffect(ref db, queueMs: 0.3, dispatchMs: 0.1, runMs: 2);
        _clock.Advance(0.1);
        load.Resumed();
        using (load.Run())
        {
            StandardEvents.NeedJoined(completed: 1, failed: 0, durationMs: 2.5);
            _clock.Advance(0.3);
            StandardEvents.SlotWrite("post", 512);
            _clock.Advance(0.2);
        }
        load.Completed(true);
        _clock.Advance(0.1);
        Job render = Job.EnqueueStep("render", "steps", 1);
        _clock.Advance(0.2);
        render.Taken(0);
        _clock.Advance(0.1);
        using (render.Run())
        {
            _clock.Advance(0.5);
        }
        render.Completed(true);
        _clock.Advance(0.2);

        TraceTree tree = Finish(request, 200);

        Assert.Equal(Golden.Ok200, tree.Render().TrimEnd('\n'));
        tree.AssertDerivedDurationsConsistent();
        Assert.DoesNotContain(tree.All, n => n.Name is "job.queue_wait" or "job.park");
    }

    [Fact]
    public void NotFound_404_is_unset_and_touches_no_database()
    {
        HttpServerSpan request = StartRequest("/posts/abc");
        _clock.Advance(0.1);
        Job validate = Job.EnqueueStep("validate", "steps", 1);
        _clock.Advance(0.4);
        validate.Taken(0);
        _clock.Advance(0.1);
        using (validate.Run())
        {
            _clock.Advance(0.3);
            validate.SetAttribute("validation.reason", "id is not a number");
        }
        // A business outcome, not a system failure: the step stays OK.
        validate.Completed(false);
        _clock.Advance(0.1);

        TraceTree tree = Finish(request, 404);

        Assert.Equal(Golden.NotFound404, tree.Render().TrimEnd('\n'));
        tree.AssertDerivedDurationsConsistent();
        Assert.Equal(SpanStatusCode.Unset, tree.Root.Span.StatusCode);
        Assert.False(tree.Root.HasAttr("error.type"));
        Assert.DoesNotContain(tree.All, n => n.Span.Kind == ActivityKind.Client);
    }

    [Fact]
    public void ServerError_500_is_error_with_the_failed_required_effect()
    {
        HttpServerSpan request = StartRequest("/posts/42");
        _clock.Advance(0.2);
        Job load = Job.EnqueueStep("load_post", "steps", 1);
        _clock.Advance(0.5);
        load.Taken(0);
        Job db;
        using (load.Run())
        {
            _clock.Advance(0.2);
            db = Job.EnqueueEffect("db.get", "blog_post", "io", 1);
        }
        load.Parked(ParkCause.IoWait, "need-1");
        _clock.Advance(0.3);
        db.Taken(0);
        db.Started();
        _clock.Advance(1);
        db.Retry(1, "connection_reset", 0.5);
        _clock.Advance(1.5);
        db.Failed(new TimeoutException("the database did not answer"));
        _clock.Advance(0.1);
        using (load.Run())
        {
            StandardEvents.NeedJoined(completed: 0, failed: 1, durationMs: 2.9);
            _clock.Advance(0.1);
        }
        load.Failed("db_unavailable", systemFailure: true);
        _clock.Advance(0.1);

        TraceTree tree = Finish(request, 500);

        Assert.Equal(Golden.ServerError500, tree.Render().TrimEnd('\n'));
        tree.AssertDerivedDurationsConsistent();
        Assert.Equal(SpanStatusCode.Error, tree.Root.Span.StatusCode);
        Assert.Equal("500", tree.Root.Attr("error.type").AsString());
        TraceTree.Node dbNode = tree.Root.Child("step.load_post").Child("db.get blog_post");
        Assert.Equal(SpanStatusCode.Error, dbNode.Span.StatusCode);
        Assert.Contains(dbNode.Events(), e => e.Name == "exception");
    }

    [Fact]
    public void Queue_heavy_run_promotes_the_queue_wait()
    {
        HttpServerSpan request = StartRequest("/posts/42");
        _clock.Advance(0.1);
        Job load = Job.EnqueueStep("load_post", "steps", 40);
        _clock.Advance(12);
        load.Taken(25);
        _clock.Advance(0.2);
        Job db;
        using (load.Run())
        {
            _clock.Advance(0.1);
            db = Job.EnqueueEffect("db.get", "blog_post", "io", 9);
        }
        load.Parked(ParkCause.IoWait, "need-1");
        // The I/O queue is busy too: 7 ms (promoted), so the step parks 8.7 ms (promoted as well).
        RunEffect(ref db, queueMs: 7, dispatchMs: 0.1, runMs: 1.5);
        _clock.Advance(0.1);
        using (load.Run())
        {
            _clock.Advance(0.4);
        }
        load.Completed(true);
        _clock.Advance(0.1);
        // Just under the threshold: stays as events.
        Job render = Job.EnqueueStep("render", "steps", 3);
        _clock.Advance(4.999);
        render.Taken(2);
        using (render.Run())
        {
            _clock.Advance(0.5);
        }
        render.Completed(true);

        TraceTree tree = Finish(request, 200);

        Assert.Equal(Golden.QueueHeavy, tree.Render().TrimEnd('\n'));
        tree.AssertDerivedDurationsConsistent();
        TraceTree.Node wait = tree.Root.Child("step.load_post").Child("job.queue_wait");
        Assert.Equal(ActivityKind.Internal, wait.Span.Kind);
        Assert.Equal(12.0, wait.Span.DurationNanos / 1e6, 9);
        Assert.Equal(40, wait.Attr("job.queue_depth.start").AsLong());
        Assert.Equal(25, wait.Attr("job.queue_depth.end").AsLong());
        Assert.Equal(new[] { "job.enqueued", "job.taken" }, wait.Events().Select(e => e.Name));
        Assert.DoesNotContain(tree.Root.Child("step.render").Children, c => c.Name == "job.queue_wait");
    }

    [Fact]
    public void Park_heavy_run_promotes_long_parks_with_their_causes()
    {
        HttpServerSpan request = StartRequest("/posts/42/publish", "/posts/{id}/publish");
        _clock.Advance(0.1);
        Job publish = Job.EnqueueStep("publish", "steps", 1);
        _clock.Advance(0.3);
        publish.Taken(0);
        using (publish.Run())
        {
            _clock.Advance(0.2);
        }
        publish.Parked(ParkCause.RateLimit, "api-quota", limitCurrent: 10, limitMax: 10);
        _clock.Advance(8);
        using (publish.Run())
        {
            _clock.Advance(0.3);
        }
        publish.Parked(ParkCause.IoWait, "need-1");
        _clock.Advance(2);
        using (publish.Run())
        {
            _clock.Advance(0.2);
        }
        publish.Parked(ParkCause.Lock, "post:42", limitCurrent: 1, limitMax: 1);
        _clock.Advance(6);
        using (publish.Run())
        {
            _clock.Advance(0.1);
            StandardEvents.Retry(1, "conflict", 20);
        }
        publish.Parked(ParkCause.Timer, "retry-1");
        _clock.Advance(20);
        using (publish.Run())
        {
            _clock.Advance(0.4);
        }
        publish.Completed(true);
        _clock.Advance(0.1);

        TraceTree tree = Finish(request, 200);

        Assert.Equal(Golden.ParkHeavy, tree.Render().TrimEnd('\n'));
        tree.AssertDerivedDurationsConsistent();
        TraceTree.Node step = tree.Root.Child("step.publish");
        Assert.Equal(4, step.Attr("job.park_count").AsLong());
        Assert.Equal(36.0, step.Attr("job.park_wait_ms_total").AsDouble(), 9);
        var parks = step.Children.Where(c => c.Name == "job.park").ToList();
        Assert.Equal(new[] { "rate_limit", "lock", "timer" }, parks.Select(p => p.Attr("job.park.cause").AsString()));
        Assert.Equal(10, parks[0].Attr("job.limit.max").AsLong());
        Assert.Equal(4, step.Children.Count(c => c.Name == "step.publish.resume"));
        // The short io_wait episode stayed as events on the step.
        Assert.Single(step.Events(), e => e.Name == "job.parked");
    }

    [Fact]
    public void Parallel_effects_joined_with_join_all()
    {
        HttpServerSpan request = StartRequest("/posts/42");
        _clock.Advance(0.1);
        Job load = Job.EnqueueStep("load_post", "steps", 1);
        _clock.Advance(0.2);
        load.Taken(0);
        Job db, comments, author;
        long needStart;
        using (load.Run())
        {
            _clock.Advance(0.1);
            db = Job.EnqueueEffect("db.get", "blog_post", "io", 1);
            comments = Job.EnqueueEffect("http.get", "comments", "io", 2);
            author = Job.EnqueueEffect("cache.get", "author", "io", 3, optional: true);
            StandardEvents.NeedRequested(new[] { "db.get blog_post", "http.get comments", "cache.get author" }, NeedMode.Parallel, NeedJoin.All);
            needStart = _clock.Now;
        }
        load.Parked(ParkCause.IoWait, "need-1", limitCurrent: 3, limitMax: 8);
        // Three I/O workers take the effects at once and finish at different times.
        _clock.Advance(0.2);
        db.Taken(2);
        comments.Taken(1);
        author.Taken(0);
        db.Started();
        comments.Started();
        author.Started();
        _clock.Advance(0.5);
        author.Failed(new InvalidOperationException("cache node down"));
        _clock.Advance(1);
        db.Completed(true);
        _clock.Advance(2.3);
        comments.Completed(true);
        _clock.Advance(0.1);
        load.Resumed();
        load.NeedJoined(completed: 3, failed: 1, durationMs: (_clock.Now - needStart) / 1e6);
        using (load.Run())
        {
            _clock.Advance(0.3);
        }
        load.Completed(true);
        _clock.Advance(0.1);

        TraceTree tree = Finish(request, 200);

        Assert.Equal(Golden.ParallelJoinAll, tree.Render().TrimEnd('\n'));
        tree.AssertDerivedDurationsConsistent();
        TraceTree.Node step = tree.Root.Child("step.load_post");
        var effects = step.Children.Where(c => c.Span.Kind == ActivityKind.Client).ToList();
        Assert.Equal(new[] { "cache.get author", "db.get blog_post", "http.get comments" }, effects.Select(e => e.Name));
        // Effects overlap: all started before the first one finished.
        Assert.True(effects.Max(e => e.EventTime("job.started")) < effects.Min(e => e.EventTime("job.completed")));
        Assert.Equal("all", step.Events().Single(e => e.Name == "need.requested").Attributes.Single(a => a.Key == "join").Value.AsString());
        // The optional effect failed but stays UNSET with error.type; the required ones succeeded.
        TraceTree.Node cache = step.Child("cache.get author");
        Assert.Equal(SpanStatusCode.Unset, cache.Span.StatusCode);
        Assert.Equal("System.InvalidOperationException", cache.Attr("error.type").AsString());
        Assert.Contains(cache.Events(), e => e.Name == "exception");
        Assert.Equal(4.1, step.Attr("job.park_wait_ms_total").AsDouble(), 9);
    }
}
