using System;
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.IO;
using System.Linq;
using System.Threading;

/// <summary>
/// A startup hook (<c>DOTNET_STARTUP_HOOKS=.../AllocationSampler.dll</c>) that counts allocated bytes by type
/// from the runtime's <c>GCAllocationTick</c> events (one event per ~100 KB allocated, naming the type that
/// crossed the mark: a sample proportional to bytes) and writes the running totals, "bytes type" per line,
/// to <c>$ALLOCATION_SAMPLER_OUT</c> (default <c>/tmp/allocations-{pid}.txt</c>) every half second.
/// Two snapshots around a measurement window give bytes per type for that window. Used by
/// tests/Benchmarks/aspnetcore/allocation-check.sh. The hook's own writes (a few KB a second) are counted too, alike
/// in every window.
/// </summary>
internal static class StartupHook
{
    private static TickListener? s_listener;

    /// <summary>Called by the runtime before Main.</summary>
    public static void Initialize()
    {
        s_listener = new TickListener();
        string path = Environment.GetEnvironmentVariable("ALLOCATION_SAMPLER_OUT") ?? $"/tmp/allocations-{Environment.ProcessId}.txt";
        var writer = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(500);
                // Written aside and renamed, so that a reader never sees half a file.
                File.WriteAllLines(path + ".tmp", s_listener.Bytes.Select(kv => kv.Value + " " + kv.Key));
                File.Move(path + ".tmp", path, overwrite: true);
            }
        })
        { IsBackground = true, Name = "AllocationSampler" };
        writer.Start();
    }

    private sealed class TickListener : EventListener
    {
        public readonly ConcurrentDictionary<string, long> Bytes = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick is Verbose
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null || e.PayloadNames is null)
            {
                return;
            }
            int typeAt = e.PayloadNames.IndexOf("TypeName");
            int amountAt = e.PayloadNames.IndexOf("AllocationAmount64");
            string type = typeAt >= 0 && e.Payload[typeAt] is string name ? name : "?";
            long amount = amountAt >= 0 ? Convert.ToInt64(e.Payload[amountAt], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
            Bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
        }
    }
}
