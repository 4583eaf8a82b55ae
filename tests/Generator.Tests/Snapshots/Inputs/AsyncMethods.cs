using System.Threading;
using System.Threading.Tasks;
using OtelGen;

namespace MyApp;

public class Jobs
{
    [Traced]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken).ConfigureAwait(false);
    }

    [Traced]
    public async Task<int> CountAsync()
    {
        await Task.Yield();
        return 42;
    }

    [Traced]
    public ValueTask PingAsync() => default;

    [Traced]
    public async ValueTask<string> NameAsync(int id)
    {
        await Task.Yield();
        return "job" + id;
    }

    // Not async itself, but returns a task: traced until the task completes.
    [Traced]
    public Task<int> ForwardAsync() => CountAsync();

    // Async here, but an override may return any task: ended by a continuation (Track), not as its flow is left.
    [Traced]
    public virtual async Task<int> RetryAsync()
    {
        await Task.Yield();
        return 1;
    }
}

public sealed class QuickJobs : Jobs
{
    // Sealed: this body is the one that runs (TrackAsyncMethod).
    [Traced]
    public override async Task<int> RetryAsync()
    {
        await Task.Yield();
        return 2;
    }
}

public static class Program
{
    public static async Task Run(Jobs jobs)
    {
        await jobs.RunAsync(CancellationToken.None);
        _ = await jobs.CountAsync();
        await jobs.PingAsync();
        _ = await jobs.NameAsync(7).ConfigureAwait(false);
        _ = await jobs.ForwardAsync();
        _ = await jobs.RetryAsync();
        _ = await new QuickJobs().RetryAsync();
    }
}
