using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>Counts SERVER spans into the per-route numbers every 250 ms, so they cover every request.</summary>
internal sealed class TraceFeedPump : BackgroundService
{
    private readonly TraceFeed _feed;

    public TraceFeedPump(TraceFeed feed) => _feed = feed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!Tracing.IsEnabled)
                {
                    continue;
                }
                try
                {
                    _feed.DrainStats();
                }
                catch (Exception ex)
                {
                    OtelGen.Export.Diagnostics.Warn("dashboard feed failed: " + ex.GetType().Name + ": " + ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
