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
    }
}
