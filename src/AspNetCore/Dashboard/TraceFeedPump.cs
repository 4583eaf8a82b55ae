using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>Drains the ring into the dashboard feed every 250 ms, so per-route numbers count every request.</summary>
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
                    _feed.Drain();
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
