using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OtelGen;

namespace MyApp;

public static class Work
{
    // No fork: a thread-local scope is enough.
    [Traced]
    public static int Plain(int x) => x + 1;

    [Traced]
    public static int RunsTask() => Task.Run(() => Plain(1)).GetAwaiter().GetResult();

    [Traced]
    public static void ParallelLoop()
    {
        Parallel.For(0, 4, i => Plain(i));
    }

    [Traced]
    public static void StartsThread()
    {
        var thread = new Thread(() => Plain(2));
        thread.Start();
        thread.Join();
    }

    [Traced]
    public static int Plinq(int[] values) => values.AsParallel().Sum();

    [Traced]
    public static void Queues() => ThreadPool.QueueUserWorkItem(_ => Plain(3));

    [Traced]
    public static Task Continues(Task first) { first.ContinueWith(_ => Plain(4)).Wait(); return Task.CompletedTask; }

    // Sync over async: continuations of the awaited work run on other threads.
    [Traced]
    public static void Waits() => Task.Delay(1).Wait();

    [Traced]
    public static int Blocks() => ComputeAsync().GetAwaiter().GetResult();

    [Traced]
    public static int ReadsResult() => Compute().Result;

    // Awaitable-looking names that start no asynchronous work stay local.
    [Traced]
    public static string NotAFork(System.Text.StringBuilder text) => text.Append(LoadAsync()).ToString();

    public static string LoadAsync() => "not a task";

    public static async Task<int> ComputeAsync() { await Task.Yield(); return 1; }

    public static Task<int> Compute() => Task.FromResult(2);
}

public static class Program
{
    public static void Run()
    {
        Work.Plain(1);
        Work.RunsTask();
        Work.ParallelLoop();
        Work.StartsThread();
        Work.Plinq(new[] { 1 });
        Work.Queues();
        Work.Continues(Task.CompletedTask);
        Work.Waits();
        Work.Blocks();
        Work.ReadsResult();
        Work.NotAFork(new System.Text.StringBuilder(Work.LoadAsync()));
    }
}
