using System;
using System.Threading;

namespace OtelGen.OpenTelemetry;

/// <summary>
/// One TracerProvider's hold on the bridge, registered as the provider's instrumentation: made when the provider is
/// built, disposed when it shuts down (before its processors), which hands every span recorded so far over first.
/// </summary>
internal sealed class BridgeLease : IDisposable
{
    /// <summary>How long a provider's shutdown waits for the spans recorded before it (the SDK gives its processors 5 s).</summary>
    internal static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private SpanBridge? _bridge;

    internal BridgeLease()
    {
        _bridge = SpanBridge.Acquire();
    }

    /// <summary>The bridge this provider uses, or null when it could not start.</summary>
    internal SpanBridge? Bridge => Volatile.Read(ref _bridge);

    public void Dispose()
    {
        try
        {
            Interlocked.Exchange(ref _bridge, null)?.Release(ShutdownTimeout);
        }
        catch
        {
            // Telemetry never throws into the application.
        }
    }
}
