using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using OtelGen.Jobs;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Jobs;

/// <summary>
/// A small real queue runtime: step workers and I/O workers on their own threads, steps that request two
/// effects, park, and are resumed by whichever I/O worker finishes the second effect. Every job changes
/// threads at least once; the traces must still come out whole.
/// </summary>
public sealed class WorkerQueueTests : IDisposable
{
    private sealed class StepItem
    {
        public Job Job;
        public int Pending;
        public bool Resuming;
    }

    private sealed class EffectItem
    {
        public Job Job;
        public required StepItem Step;
    }

    public WorkerQueueTests()
    {
        Tracing.Enable();
        // Promote everything, so the shape does not depend on how busy the machine is.
        JobSettings.DebugJobs = true;
    }

    public void Dispose() => JobSettings.ReloadFromEnvironment();

    [Fact]
    public void Steps_and_effects_handed_between_worker_threads_make_whole_traces()
    {
        const int requests = 40;
        var steps = new BlockingCollection<StepItem>();
        var io = new BlockingCollection<EffectItem>();
        using var done = new CountdownEvent(requests);
        var failures = new ConcurrentQueue<Exception>();

        void StepWorker()
        {
            foreach (StepItem item in steps.GetConsumingEnumerable())
            {
                try
                {
                    if (!item.Resuming)
                    {
                        item.Job.Taken(steps.Count);
                        using (item.Job.Run())
                        {
                            item.Pending = 2;
                            io.Add(new EffectItem { Step = item, Job = Job.EnqueueEffect("db.get", "blog_post", "io", io.Count + 1) });
                            io.Add(new EffectItem { Step = item, Job = Job.EnqueueEffect("http.get", "comments", "io", io.Count + 1) });
                            StandardEvents.NeedRequested(new[] { "db.get blog_post", "http.get comments" }, NeedMode.Parallel, NeedJoin.All);
                        }
                        // Park before the effects can finish: the I/O workers wait for this flag.
                        item.Job.Parked(ParkCause.IoWait, "need", 2, 2);
                        Volatile.Write(ref item.Resuming, true);
                    }
                    else
                    {
                        using (item.Job.Run())
                        {
                            StandardEvents.NeedJoined(2, 0, 0);
                        }
                        item.Job.Completed(true);
                        done.Signal();
                    }
                }
                catch (Exception ex)
                {
                    failures.Enqueue(ex);
                }
            }
        }

        void IoWorker()
        {
            foreach (EffectItem effect in io.GetConsumingEnumerable())
            {
                try
                {
                    effect.Job.Taken(io.Count);
                    effect.Job.Started();
                    Thread.SpinWait(100);
                    effect.Job.Completed(true);
                    if (Interlocked.Decrement(ref effect.Step.Pending) == 0)
                    {
                        SpinWait.SpinUntil(() => Volatile.Read(ref effect.Step.Resuming));
                        effect.Step.Job.Resumed();
                        steps.Add(effect.Step);
                    }
                }
                catch (Exception ex)
                {
                    failures.Enqueue(ex);
                }
            }
        }

        var threads = new List<Thread>();
        for (int i = 0; i < 2; i++)
        {
            threads.Add(new Thread(StepWorker) { IsBackground = true });
            threads.Add(new Thread(IoWorker) { IsBackground = true });
        }
        threads.ForEach(t => t.Start());

        var traces = new List<TraceId>();
        for (int i = 0; i < requests; i++)
        {
            HttpServerSpan request = HttpServerSpan.Start(new HttpServerRequest { Method = "GET", Route = "/posts/{id}", Path = "/posts/" + i });
            traces.Add(request.Context.TraceId);
            steps.Add(new StepItem { Job = Job.EnqueueStep("load_post", "steps", steps.Count + 1) });
            request.SetStatusCode(202);
            request.End();
        }
        bool finished = done.Wait(TimeSpan.FromSeconds(30));
        steps.CompleteAdding();
        io.CompleteAdding();
        threads.ForEach(t => t.Join(TimeSpan.FromSeconds(10)));

        Assert.Empty(failures);
        Assert.True(finished, "not every request completed");
        foreach (TraceId traceId in traces)
        {
            TraceTree tree = TraceTree.Read(traceId);
            TraceTree.Node step = tree.Root.Child("step.load_post");
            Assert.Equal(
                new[] { "db.get blog_post", "http.get comments", "job.park", "job.queue_wait", "step.load_post.resume" },
                step.Children.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal));
            Assert.All(step.Children.Where(c => c.Span.Kind == ActivityKind.Client), e => Assert.Equal("job.queue_wait", e.Children.Single().Name));
            Assert.Equal(1, step.Attr("job.park_count").AsLong());
            Assert.Contains(step.Child("step.load_post.resume").Events(), e => e.Name == "need.join");
            tree.AssertDerivedDurationsConsistent();
        }
    }
}
