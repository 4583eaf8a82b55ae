using System;
using System.Diagnostics;
using System.Threading;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace OtelGen.OpenTelemetry;

/// <summary>
/// Takes no part in the span path (its <c>OnStart</c>/<c>OnEnd</c> do nothing); it is there for the provider's
/// <c>ForceFlush</c>: the bridge hands every span recorded so far to the SDK, and then the exporters flush. The SDK
/// flushes processors in the order they were added, so an exporter added before <c>AddOtelGen()</c> has flushed already
/// when this one runs: when spans were handed over, the provider is flushed once more (this processor then only waits
/// for the bridge), so that they reach every exporter whatever the order.
/// </summary>
internal sealed class BridgeFlushProcessor : BaseProcessor<Activity>
{
    [ThreadStatic]
    private static bool t_flushingAgain;

    protected override bool OnForceFlush(int timeoutMilliseconds)
    {
        try
        {
            SpanBridge? bridge = SpanBridge.Running;
            if (bridge is null)
            {
                return true;
            }
            var watch = Stopwatch.StartNew();
            TimeSpan timeout = timeoutMilliseconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(timeoutMilliseconds);
            long before = bridge.Bridged;
            bool flushed = bridge.Flush(timeout);
            if (t_flushingAgain || bridge.Bridged == before || ParentProvider is not TracerProvider provider)
            {
                return flushed;
            }
            int left = timeoutMilliseconds < 0 ? Timeout.Infinite : (int)Math.Max(0, timeoutMilliseconds - watch.ElapsedMilliseconds);
            t_flushingAgain = true;
            try
            {
                return provider.ForceFlush(left) && flushed;
            }
            finally
            {
                t_flushingAgain = false;
            }
        }
        catch
        {
            return false;
        }
    }
}
