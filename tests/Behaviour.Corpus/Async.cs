using System.Globalization;

namespace Behaviour;

// Task, Task<T>, ValueTask, ValueTask<T>: completed synchronously, faulted, cancelled, awaited later; task
// identity; fire-and-forget faults and UnobservedTaskException; AsyncLocal and culture changes made by the
// synchronous part of a method; Task.Run and Parallel.For inside traced bodies.

public static class AsyncCompleted
{
    private static readonly Task<int> s_cached = Task.FromResult(7);

    [Traced]
    public static Task Nothing() => Task.CompletedTask;

    [Traced]
    public static Task<int> Cached() => s_cached;

    [Traced]
    public static async Task<int> AsyncNoAwait(int x) => await Task.FromResult(x + 1);

    [Traced]
    public static ValueTask<int> ValueSync(int x) => new(x * 2);

    [Traced]
    public static ValueTask ValueNothing() => default;

    [Traced]
    public static async ValueTask<string> ValueAsync(string s)
    {
        await Task.Yield();
        return s + "!";
    }

    [Traced]
    public static async Task Delay(List<string> log)
    {
        log.Add("before");
        await Task.Delay(1);
        log.Add("after");
    }

    public static void Run() => RunAsync().GetAwaiter().GetResult();

    private static async Task RunAsync()
    {
        Task t = Nothing();
        Say("completed at return", t.IsCompleted);
        Say("same completed task", ReferenceEquals(t, Task.CompletedTask));
        Task<int> c = Cached();
        Say("same cached task", ReferenceEquals(c, s_cached));
        Say("cached", await c);
        Task<int> a = AsyncNoAwait(1);
        Say("async no await completed", a.IsCompletedSuccessfully);
        Say("async no await", await a);
        ValueTask<int> v = ValueSync(4);
        Say("value task completed", v.IsCompletedSuccessfully);
        Say("value task", await v);
        ValueTask n = ValueNothing();
        Say("value nothing completed", n.IsCompletedSuccessfully);
        await n;
        Say("value async", await ValueAsync("hi"));
        var log = new List<string>();
        Task d = Delay(log);
        log.Add("returned");
        await d;
        Say("order", string.Join(",", log));
    }
}

public static class AsyncFaulted
{
    [Traced]
    public static async Task<int> ThrowsBeforeAwait(int x)
    {
        if (x < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(x), "negative");
        }
        await Task.Yield();
        return x;
    }

    [Traced]
    public static async Task ThrowsAfterAwait()
    {
        await Task.Yield();
        throw new InvalidOperationException("after await");
    }

    [Traced]
    public static Task<int> ThrowsSynchronously(int x) => x < 0 ? throw new ArgumentException("sync throw") : Task.FromResult(x);

    [Traced]
    public static Task<int> ReturnsFaulted() => Task.FromException<int>(new FormatException("faulted task"));

    [Traced]
    public static ValueTask<int> ValueFaulted() => ValueTask.FromException<int>(new FormatException("faulted value task"));

    [Traced]
    public static async Task TwoFaults()
    {
        Task a = Task.FromException(new InvalidOperationException("a"));
        Task b = Task.FromException(new InvalidOperationException("b"));
        await Task.WhenAll(a, b);
    }

    public static void Run() => RunAsync().GetAwaiter().GetResult();

    private static async Task RunAsync()
    {
        Task<int> t = ThrowsBeforeAwait(-1);
        Say("call did not throw; faulted", t.IsFaulted);
        Say("exception count", t.Exception!.InnerExceptions.Count);
        try
        {
            await t;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Say("awaited", Describe(ex));
        }
        try
        {
            await ThrowsAfterAwait();
        }
        catch (InvalidOperationException ex)
        {
            Say("after await", Describe(ex));
        }
        try
        {
            Task<int> never = ThrowsSynchronously(-1);
            Say("not reached", never.Id);
        }
        catch (ArgumentException ex)
        {
            Say("synchronous", Describe(ex));
        }
        Task<int> f = ReturnsFaulted();
        Say("faulted status", f.Status);
        Try("wait", () => f.Wait());
        Try("result", () => f.Result);
        Try("get result", () => f.GetAwaiter().GetResult());
        ValueTask<int> vf = ValueFaulted();
        Say("value faulted", vf.IsFaulted);
        Try("value result", () => vf.Result);
        Task two = TwoFaults();
        try
        {
            await two;
        }
        catch (InvalidOperationException ex)
        {
            Say("first of two", ex.Message);
        }
        Say("both kept", two.Exception!.InnerExceptions.Count);
    }
}

public static class AsyncCancelled
{
    [Traced]
    public static async Task<int> WaitFor(CancellationToken token)
    {
        await Task.Delay(Timeout.Infinite, token);
        return 1;
    }

    [Traced]
    public static Task<int> FromCanceled(CancellationToken token) => Task.FromCanceled<int>(token);

    [Traced]
    public static async Task ThrowOce(CancellationToken token)
    {
        await Task.Yield();
        token.ThrowIfCancellationRequested();
    }

    [Traced]
    public static ValueTask<int> ValueCanceled(CancellationToken token) => ValueTask.FromCanceled<int>(token);

    public static void Run() => RunAsync().GetAwaiter().GetResult();

    private static async Task RunAsync()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Task<int> t = WaitFor(cts.Token);
        Say("canceled", t.IsCanceled);
        try
        {
            await t;
        }
        catch (OperationCanceledException ex)
        {
            Say("awaited", ex.GetType().Name + " token matches " + (ex.CancellationToken == cts.Token));
        }
        Task<int> fc = FromCanceled(cts.Token);
        Say("from canceled status", fc.Status);
        Task oce = ThrowOce(cts.Token);
        try
        {
            await oce;
        }
        catch (OperationCanceledException ex)
        {
            Say("oce", ex.GetType().Name);
        }
        Say("oce status", oce.Status);
        ValueTask<int> vc = ValueCanceled(cts.Token);
        Say("value canceled", vc.IsCanceled);
        using var later = new CancellationTokenSource();
        Task<int> pending = WaitFor(later.Token);
        Say("pending", pending.IsCompleted);
        later.Cancel();
        try
        {
            await pending;
        }
        catch (TaskCanceledException ex)
        {
            Say("canceled later", ex.GetType().Name);
        }
    }
}

public static class AwaitedLater
{
    private static readonly List<string> s_log = new();

    [Traced]
    public static async Task<int> Step(string name, Task gate, int value)
    {
        lock (s_log)
        {
            s_log.Add(name + " start");
        }
        await gate;
        lock (s_log)
        {
            s_log.Add(name + " resumed");
        }
        return value;
    }

    public static void Run()
    {
        var gateA = new TaskCompletionSource(TaskCreationOptions.None);
        var gateB = new TaskCompletionSource(TaskCreationOptions.None);
        Task<int> a = Step("a", gateA.Task, 1);
        Task<int> b = Step("b", gateB.Task, 2);
        Say("after starting", string.Join(",", s_log));
        gateB.SetResult(); // continuations run inline here (synchronous continuation)
        Say("after b", string.Join(",", s_log));
        Say("b done", b.IsCompleted);
        gateA.SetResult();
        Say("after a", string.Join(",", s_log));
        Say("sum", a.Result + b.Result);
        Say("when all", Task.WhenAll(Step("c", Task.CompletedTask, 3), Step("d", Task.CompletedTask, 4)).Result.Length);
    }
}

public static class UnobservedFault
{
    [Traced]
    public static async Task FireAndForget()
    {
        await Task.Yield();
        throw new InvalidOperationException("nobody awaits this");
    }

    [Traced]
    public static Task FaultedImmediately() => Task.FromException(new InvalidOperationException("immediate"));

    public static void Run()
    {
        int raised = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            Interlocked.Increment(ref raised);
            e.SetObserved();
        };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            Start();
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }
        Say("unobserved raised", raised > 0);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Start()
    {
        Task t = FireAndForget();
        try
        {
            t.ContinueWith(_ => { }, TaskContinuationOptions.ExecuteSynchronously).Wait();
        }
        catch (AggregateException)
        {
        }
        t = FaultedImmediately();
        Say("faulted immediately", t.IsFaulted);
    }
}

public static class FlowChanges
{
    private static readonly AsyncLocal<string?> s_local = new();
    private static readonly CultureInfo s_comma = MakeComma();

    private static CultureInfo MakeComma()
    {
        var c = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        c.NumberFormat.NumberDecimalSeparator = ",";
        return c;
    }

    [Traced]
    public static void SetLocal(string value) => s_local.Value = value;

    [Traced]
    public static Task SetLocalTask(string value)
    {
        s_local.Value = value;
        return Task.CompletedTask;
    }

    [Traced]
    public static void SetLocalAndFork(string value)
    {
        s_local.Value = value;
        Task.Run(() => { }).Wait();
    }

    [Traced]
    public static void SetCulture(CultureInfo culture)
    {
        CultureInfo.CurrentCulture = culture;
        Task.Run(() => { }).Wait();
    }

    [Traced]
    public static ValueTask<int> SetLocalValueTask(string value)
    {
        s_local.Value = value;
        return new ValueTask<int>(1);
    }

    [Traced]
    public static async Task SetLocalAsync(string value)
    {
        s_local.Value = value;
        await Task.Yield();
    }

    public static void Run()
    {
        s_local.Value = "start";
        SetLocal("sync");
        Say("after sync", s_local.Value);
        SetLocalTask("task");
        Say("after task-returning (synchronous body)", s_local.Value);
        SetLocalValueTask("value task");
        Say("after value-task-returning (synchronous body)", s_local.Value);
        SetLocalAndFork("fork");
        Say("after forking body", s_local.Value);
        SetLocalAsync("async").GetAwaiter().GetResult();
        Say("after async (never flows back)", s_local.Value);
        CultureInfo before = CultureInfo.CurrentCulture;
        SetCulture(s_comma);
        Say("culture changed", (1.5).ToString(CultureInfo.CurrentCulture));
        CultureInfo.CurrentCulture = before;
    }
}

public static class Forks
{
    [Traced]
    public static int RunOnPool(int x) => Task.Run(() => x * 2).Result;

    [Traced]
    public static long ParallelSum(int n)
    {
        long total = 0;
        Parallel.For(0, n, () => 0L, (i, _, local) => local + Square(i), local => Interlocked.Add(ref total, local));
        return total;
    }

    [Traced]
    public static int Square(int i) => i * i;

    [Traced]
    public static int OnThread(int x)
    {
        int result = 0;
        var t = new Thread(() => result = Square(x));
        t.Start();
        t.Join();
        return result;
    }

    [Traced]
    public static int SyncOverAsync(int x) => AsyncCompleted.AsyncNoAwait(x).GetAwaiter().GetResult();

    [Traced]
    public static async Task<int> AwaitRun(int x) => await Task.Run(() => Square(x)).ConfigureAwait(false);

    public static void Run()
    {
        Say("task run", RunOnPool(21));
        Say("parallel", ParallelSum(100));
        Say("thread", OnThread(9));
        Say("sync over async", SyncOverAsync(1));
        Say("await run", AwaitRun(5).Result);
    }
}
