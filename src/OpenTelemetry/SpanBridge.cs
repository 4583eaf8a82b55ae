using System;
using System.Diagnostics;
using System.Threading;
using OtelGen.Activities;
using OtelGen.Configuration;
using OtelGen.Export;
using OtelGen.Spans;

namespace OtelGen.OpenTelemetry;

/// <summary>
/// The one reader that hands OtelGen's spans to the OpenTelemetry SDK: a background thread drains the span ring with
/// a cursor, as OtelGen's OTLP exporter does (it holds the ring back, so the ring grows rather than overwrite what it
/// has not read, and what the ring still overwrites is counted), and re-creates each span as an Activity of the
/// <c>OtelGen</c> source (<see cref="SpanConversion"/>). One per process, however many TracerProviders have
/// <c>AddOtelGen()</c>: each span becomes one Activity, which every such provider's listener sees once. It runs while
/// at least one of them is alive; a bridge started later takes up where the last one stopped.
/// </summary>
internal sealed class SpanBridge
{
    /// <summary>The bridge thread's name.</summary>
    internal const string ThreadName = "OtelGen OpenTelemetry bridge";

    private const int BatchSize = 256;
    private const int IdlePollMs = 50;

    private static readonly object s_gate = new();
    private static SpanBridge? s_running;
    // Where the last bridge stopped reading: the next one starts there (or at the oldest span still held, if later).
    private static long s_resumeAt = -1;
    private static readonly double s_nanosPerTick = 1e9 / Stopwatch.Frequency;

    private readonly SpanRing _ring;
    private readonly SpanRingCursor _cursor;
    private readonly SpanRecord[] _batch = new SpanRecord[BatchSize];
    private readonly Thread _thread;
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _progress = new();
    private int _users;
    private long _flushTarget;
    private long _processed;
    private volatile bool _stopping;
    private volatile bool _exited;
    private long _bridged, _notSampled, _notRewritten, _failed;

    private SpanBridge(SpanRing ring, SpanRingCursor cursor)
    {
        _ring = ring;
        _cursor = cursor;
        _processed = cursor.Position;
        for (int i = 0; i < _batch.Length; i++)
        {
            _batch[i] = new SpanRecord();
        }
        _thread = new Thread(Run) { IsBackground = true, Name = ThreadName };
    }

    /// <summary>The bridge running now, or null.</summary>
    internal static SpanBridge? Running
    {
        get
        {
            lock (s_gate)
            {
                return s_running;
            }
        }
    }

    /// <summary>The bridge's thread id (tests: conversion happens there).</summary>
    internal int ThreadId => _thread.ManagedThreadId;

    /// <summary>Spans handed to the SDK (its processors saw them end).</summary>
    internal long Bridged => Interlocked.Read(ref _bridged);

    /// <summary>Spans no listener of the <c>OtelGen</c> source wanted (the SDK's sampler dropped them).</summary>
    internal long NotSampled => Interlocked.Read(ref _notSampled);

    /// <summary>Spans whose Activity could not take OtelGen's ids, and so were not exported.</summary>
    internal long NotRewritten => Interlocked.Read(ref _notRewritten);

    /// <summary>Spans whose conversion threw (in the SDK's processors or exporters, or in ours).</summary>
    internal long Failed => Interlocked.Read(ref _failed);

    /// <summary>Spans the ring overwrote before the bridge read them.</summary>
    internal long Lost => _cursor.Lost;

    /// <summary>
    /// A TracerProvider with <c>AddOtelGen()</c> was built: starts the bridge (if it is the first) and counts the provider
    /// as a user. Null, with one warning, when this runtime's Activity ids cannot be rewritten: the bridge would export
    /// wrong ids, so it does not run, and OtelGen keeps exporting its spans itself.
    /// </summary>
    internal static SpanBridge? Acquire()
    {
        lock (s_gate)
        {
            if (s_running is { } running)
            {
                running._users++;
                return running;
            }
            if (!ActivityIds.CanRewrite)
            {
                Diagnostics.Warn("AddOtelGen(): this runtime's System.Diagnostics.Activity ids cannot be rewritten, so OtelGen's spans are not handed to the OpenTelemetry SDK (its exporters would get wrong span ids); OtelGen exports them itself, as without the bridge.");
                return null;
            }
            // OtelGen's own OTLP export from the environment stops here (the SDK's exporters send the spans from now
            // on); its cursor, if it had one, continues here, so that no span goes out twice or not at all.
            SpanRingCursor? cursor = ExportStartup.HandTracesToSdk(out SpanRing ring);
            if (cursor is null)
            {
                cursor = new SpanRingCursor(ring, holdsBack: true);
                if (s_resumeAt > cursor.Position)
                {
                    cursor.SetPosition(s_resumeAt);
                    ring.HolderMoved();
                }
            }
            var bridge = new SpanBridge(ring, cursor) { _users = 1 };
            s_running = bridge;
            bridge._thread.Start();
            return bridge;
        }
    }

    /// <summary>
    /// A provider goes away: hands over every span recorded so far (within <paramref name="timeout"/>), then, if it was
    /// the last user, stops the thread and lets the ring go. True when everything recorded was handed over.
    /// </summary>
    internal bool Release(TimeSpan timeout)
    {
        bool flushed = Flush(timeout);
        lock (s_gate)
        {
            if (--_users > 0)
            {
                return flushed;
            }
            s_running = null;
            // Stopped under the lock: a bridge acquired meanwhile must start where this one ends.
            _stopping = true;
            _wake.Set();
            if (!_thread.Join(timeout < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : timeout + TimeSpan.FromSeconds(1)))
            {
                Diagnostics.Warn("the OtelGen OpenTelemetry bridge did not stop in time (an SDK processor or exporter is blocking it).");
            }
            s_resumeAt = _cursor.Position;
            _cursor.Release();
        }
        return flushed;
    }

    /// <summary>
    /// Hands every span written to the ring before this call to the SDK (the bridge thread converts them; the caller
    /// waits), within <paramref name="timeout"/>. True when all of them were handled.
    /// </summary>
    internal bool Flush(TimeSpan timeout)
    {
        long target = _ring.Written;
        if (Thread.CurrentThread == _thread)
        {
            // An SDK processor flushing from inside a conversion: the thread cannot wait for itself.
            return Interlocked.Read(ref _processed) >= target;
        }
        long current;
        while ((current = Interlocked.Read(ref _flushTarget)) < target && Interlocked.CompareExchange(ref _flushTarget, target, current) != current)
        {
        }
        _wake.Set();
        DateTime deadline = timeout < TimeSpan.Zero || timeout >= DateTime.MaxValue - DateTime.UtcNow ? DateTime.MaxValue : DateTime.UtcNow + timeout;
        lock (_progress)
        {
            while (Interlocked.Read(ref _processed) < target && !_exited)
            {
                TimeSpan left = deadline == DateTime.MaxValue ? TimeSpan.FromSeconds(1) : deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }
                Monitor.Wait(_progress, left > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left);
            }
            return Interlocked.Read(ref _processed) >= target;
        }
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                bool stopping = _stopping;
                // Until a provider's listener is on the source (it is added last as the provider is built), every
                // Activity would be dropped: the spans wait in the ring instead.
                if (SpanConversion.Source.HasListeners())
                {
                    Drain();
                }
                if (stopping)
                {
                    return;
                }
                // Spans come without a signal (writers never pay for one): poll, quickly while a flush waits.
                bool flushing = Interlocked.Read(ref _flushTarget) > Interlocked.Read(ref _processed);
                _wake.WaitOne(flushing ? 1 : IdlePollMs);
            }
        }
        catch (Exception e)
        {
            Diagnostics.Warn("the OtelGen OpenTelemetry bridge stopped after an unexpected error: " + e.GetType().Name + ": " + e.Message);
            // Nobody reads this cursor any more: let the ring overwrite instead of growing for it.
            _cursor.Release();
        }
        finally
        {
            _exited = true;
            lock (_progress)
            {
                Monitor.PulseAll(_progress);
            }
        }
    }

    private void Drain()
    {
        while (true)
        {
            int count = _cursor.Read(_batch, NowNanos());
            for (int i = 0; i < count; i++)
            {
                SpanRecord span = _batch[i];
                try
                {
                    switch (SpanConversion.Bridge(span))
                    {
                        case SpanConversion.Outcome.Bridged:
                            Interlocked.Increment(ref _bridged);
                            break;
                        case SpanConversion.Outcome.NotSampled:
                            Interlocked.Increment(ref _notSampled);
                            break;
                        default:
                            Interlocked.Increment(ref _notRewritten);
                            break;
                    }
                }
                catch
                {
                    // An SDK processor or exporter that throws costs that span, never the bridge.
                    Interlocked.Increment(ref _failed);
                }
                finally
                {
                    span.Clear();
                }
            }
            long position = _cursor.Position;
            if (position > Interlocked.Read(ref _processed))
            {
                Interlocked.Exchange(ref _processed, position);
                lock (_progress)
                {
                    Monitor.PulseAll(_progress);
                }
            }
            if (count < _batch.Length)
            {
                return;
            }
        }
    }

    // The OTLP exporter's clock: a cursor it hands over keeps the time it first found a slot pending in these units.
    private static long NowNanos() => (long)(Stopwatch.GetTimestamp() * s_nanosPerTick);
}
