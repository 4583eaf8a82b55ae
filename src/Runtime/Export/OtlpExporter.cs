using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

namespace OtelGen.Export;

/// <summary>
/// Exports the spans of a <see cref="SpanRing"/> over OTLP/HTTP (or to an OTLP/JSON lines file) from its
/// own background thread: it drains the ring in batches (<c>OTEL_BSP_*</c>), hands them to an optional
/// <see cref="ISpanExportStage"/>, encodes them with the project's own writers and sends them with
/// retries. Application threads only ever write to the ring; nothing here blocks them, and nothing
/// throws into them. Every span is accounted for: see <see cref="Statistics"/>.
/// </summary>
public sealed class OtlpExporter : IDisposable
{
    private static readonly object s_gate = new();
    private static readonly List<OtlpExporter> s_started = new();
    private static readonly double s_nanosPerTick = 1e9 / Stopwatch.Frequency;
    private static OtlpExporter? s_current;
    // The OTLP/HTTP exporter OTEL_EXPORTER_OTLP_ENDPOINT started (not one started from code): the one the
    // OpenTelemetry bridge stops (StopFromEnvironment).
    private static OtlpExporter? s_fromEnvironment;
    private static bool s_processExitHooked;

    private readonly SpanRing _ring;
    private readonly SpanRingCursor _cursor;
    private readonly OtlpExporterOptions _options;
    private readonly IOtlpSender _sender;
    private readonly OtlpTraceEncoder _encoder;
    private readonly ExportSpool? _spool;
    private readonly ISpanExportStage? _stage;
    private readonly SpanRecord[] _batch;
    private readonly PooledBuffer _body;
    private readonly Thread _thread;
    private readonly AutoResetEvent _wake = new(false);
    private readonly CancellationTokenSource _abort = new();
    private readonly object _progress = new();
    // Flushes waiting on _progress: the exporter takes the lock to wake them only when there are some.
    private int _progressWaiters;
    private readonly object _lifecycle = new();
    private readonly bool _queueIsRing;

    private long _processed;
    private long _flushTarget;
    private long _stopTarget = long.MaxValue;
    private long _shutdownDeadlineTicks = DateTime.MaxValue.Ticks;
    private volatile bool _stopping;
    private volatile bool _handover;
    private volatile bool _exited;
    private volatile bool _exitFlush;
    private volatile bool _gaveUp;
    private bool _disposed;
    private bool _collectorDown;
    private bool _spoolMayHaveBatches;
    private long _lostSeen;

    private long _exported, _overwritten, _queueFull, _rejected, _failed, _filtered, _spooled, _unspooled, _replayed, _held, _exports, _failures;

    /// <summary>
    /// Starts exporting <paramref name="ring"/> with <paramref name="options"/> (a copy is kept). Throws
    /// <see cref="ArgumentException"/> when the options name neither an endpoint nor a file; prefer
    /// <see cref="Start(OtlpExporterOptions?)"/>, which warns instead.
    /// </summary>
    public OtlpExporter(SpanRing ring, OtlpExporterOptions options)
        : this(ring, options, null, null)
    {
    }

    internal OtlpExporter(SpanRing ring, OtlpExporterOptions options, IOtlpSender? sender, SpanRingCursor? cursor)
    {
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Clone();
        _options.MaxExportBatchSize = Math.Max(1, _options.MaxExportBatchSize);
        // Unset (0): the ring is the queue (shown as its maximum capacity; the ring's own overwrites are
        // the only bound, so a grown ring's older spans are not dropped twice). Set: honoured exactly (never below one batch).
        _queueIsRing = _options.MaxQueueSize <= 0;
        _options.MaxQueueSize = _queueIsRing ? ring.MaxCapacity : Math.Max(_options.MaxExportBatchSize, _options.MaxQueueSize);
        _sender = sender ?? CreateSender(_options);
        // The exporter must not lose spans: its cursor holds the ring back (the ring grows while it lags)
        // until the exporter stops.
        _cursor = cursor ?? new SpanRingCursor(ring, holdsBack: true);
        _encoder = new OtlpTraceEncoder(OtlpResource.Create(_options.ServiceName, _options.ResourceAttributes));
        _stage = _options.Stage;
        if (!string.IsNullOrEmpty(_options.SpoolDirectory) && _sender is OtlpHttpTransport or OtlpGrpcTransport)
        {
            _spool = new ExportSpool(_options.SpoolDirectory, _options.SpoolMaxBytes, _sender.Protocol);
            _spoolMayHaveBatches = true;
        }
        _batch = new SpanRecord[_options.MaxExportBatchSize];
        for (int i = 0; i < _batch.Length; i++)
        {
            _batch[i] = new SpanRecord();
        }
        _body = new PooledBuffer(64 * 1024);
        TargetName = _sender switch { OtlpFileSender => "file", OtlpGrpcTransport => "grpc", _ => "http" };
        ExporterMetrics.Register(this);
        _thread = new Thread(Run) { IsBackground = true, Name = "OtelGen OTLP exporter (" + TargetName + ")" };
        _thread.Start();
    }

    /// <summary>The exporter started last by <see cref="Start(OtlpExporterOptions?)"/> or from the environment; null if none.</summary>
    public static OtlpExporter? Current => Volatile.Read(ref s_current);

    /// <summary>The settings in use (a copy of what was given).</summary>
    public OtlpExporterOptions Options => _options;

    /// <summary>The resource this exporter reports.</summary>
    internal OtlpResource Resource => _encoder.Resource;

    /// <summary><c>http</c>, <c>grpc</c> or <c>file</c>: the tag value on this exporter's metrics.</summary>
    public string TargetName { get; }

    /// <summary>True once the exporter's thread has ended (after <see cref="Shutdown"/>).</summary>
    public bool IsStopped => _exited;

    /// <summary>What the exporter has done so far, read at any time from any thread.</summary>
    public ExporterStatistics Statistics => new()
    {
        Exported = Interlocked.Read(ref _exported),
        DroppedOverwritten = Interlocked.Read(ref _overwritten) + Math.Max(0, _cursor.Lost - Interlocked.Read(ref _lostSeen)),
        DroppedQueueFull = Interlocked.Read(ref _queueFull),
        DroppedRejected = Interlocked.Read(ref _rejected),
        DroppedFailed = Interlocked.Read(ref _failed),
        DroppedFiltered = Interlocked.Read(ref _filtered),
        Spooled = Interlocked.Read(ref _spooled),
        Unspooled = Interlocked.Read(ref _unspooled),
        Replayed = Interlocked.Read(ref _replayed),
        Held = Interlocked.Read(ref _held),
        Exports = Interlocked.Read(ref _exports),
        Failures = Interlocked.Read(ref _failures),
        Retries = _sender.Retries,
        Pending = _cursor.Pending,
    };

    /// <summary>
    /// Starts exporting <see cref="Tracing.Ring"/> with <paramref name="options"/> (null: from the
    /// environment), replacing the current exporter, which hands over its reading position so that no
    /// span is sent twice or skipped. Returns null, with one warning, when there is nowhere to export.
    /// Never throws.
    /// </summary>
    public static OtlpExporter? Start(OtlpExporterOptions? options = null)
    {
        try
        {
            SpanRing ring = SpanSink.Ring;
            return StartOn(ring, options ?? OtlpExporterOptions.FromEnvironment(), replaceCurrent: true);
        }
        catch (Exception e)
        {
            Diagnostics.Warn("could not start the OTLP exporter: " + e.Message);
            return null;
        }
    }

    /// <summary>Starts an exporter with the environment's settings changed by <paramref name="configure"/>.</summary>
    public static OtlpExporter? Start(Action<OtlpExporterOptions> configure)
    {
        OtlpExporterOptions options = OtlpExporterOptions.FromEnvironment();
        try
        {
            configure(options);
        }
        catch (Exception e)
        {
            Diagnostics.Warn("the OTLP exporter options callback threw: " + e.Message);
            return null;
        }
        return Start(options);
    }

    /// <summary>Flushes every running exporter; true when all got everything recorded so far out in time.</summary>
    public static bool FlushAll(TimeSpan timeout)
    {
        DateTime deadline = DeadlineAfter(timeout);
        bool all = true;
        foreach (OtlpExporter exporter in Started())
        {
            all &= exporter.ForceFlush(Remaining(deadline));
        }
        return all;
    }

    /// <summary>Flushes and stops every running exporter within <paramref name="timeout"/> overall.</summary>
    public static bool ShutdownAll(TimeSpan timeout)
    {
        DateTime deadline = DeadlineAfter(timeout);
        List<OtlpExporter> exporters = Started();
        foreach (OtlpExporter exporter in exporters)
        {
            exporter.BeginShutdown(deadline);
        }
        bool all = true;
        foreach (OtlpExporter exporter in exporters)
        {
            all &= exporter.EndShutdown(deadline);
        }
        return all;
    }

    /// <summary>
    /// Exports everything written to the ring before this call; blocks the caller (only) until done or
    /// <paramref name="timeout"/> passes. True when everything was handled (exported, spooled or dropped and counted).
    /// </summary>
    public bool ForceFlush(TimeSpan timeout)
    {
        long target = _ring.Written;
        long current;
        while ((current = Interlocked.Read(ref _flushTarget)) < target && Interlocked.CompareExchange(ref _flushTarget, target, current) != current)
        {
        }
        _wake.Set();
        return WaitProcessed(target, DeadlineAfter(timeout));
    }

    /// <summary>
    /// Exports what is in the ring within <paramref name="timeout"/>, then stops the thread; a request
    /// still in flight at the deadline is abandoned (counted as failed). True when everything went out.
    /// </summary>
    public bool Shutdown(TimeSpan timeout)
    {
        DateTime deadline = DeadlineAfter(timeout);
        BeginShutdown(deadline);
        return EndShutdown(deadline);
    }

    /// <summary>Shuts down within the batch deadline (<see cref="OtlpExporterOptions.BatchDeadline"/>).</summary>
    public void Dispose() => Shutdown(_options.BatchDeadline);

    /// <summary>
    /// Starts the exporters the environment asks for: OTLP/HTTP when an endpoint is set (unless <paramref name="endpoint"/>
    /// is false: the OpenTelemetry SDK exports the spans, see <see cref="ExportStartup.HandTracesToSdk"/>) and the file one.
    /// </summary>
    internal static void StartFromEnvironment(SpanRing ring, bool endpoint = true)
    {
        try
        {
            string? exporters = EnvironmentSettings.Get("OTEL_TRACES_EXPORTER");
            if (exporters is not null && exporters.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
            OtlpExporterOptions options = OtlpExporterOptions.FromEnvironment();
            bool http = endpoint && options.Endpoint is not null;
            if (http)
            {
                OtlpExporterOptions httpOptions = options.Clone();
                httpOptions.FilePath = null;
                OtlpExporter? started = StartOn(ring, httpOptions, replaceCurrent: true);
                lock (s_gate)
                {
                    s_fromEnvironment = started;
                }
            }
            if (options.FilePath is not null)
            {
                OtlpExporterOptions file = options.Clone();
                file.Endpoint = null;
                StartOn(ring, file, replaceCurrent: !http);
            }
        }
        catch (Exception e)
        {
            Diagnostics.Warn("could not start the OTLP exporter from the environment: " + e.Message);
        }
    }

    /// <summary>
    /// Stops the OTLP/HTTP exporter that the environment started on <paramref name="ring"/>, if it still runs, without
    /// draining it, and returns its cursor (at the first span it had not sent, still holding the ring back) for the
    /// reader that takes its place; null when there is none. A batch in flight is abandoned, as in a hand-over between
    /// exporters. Exporters started from code and the file exporter keep running.
    /// </summary>
    internal static SpanRingCursor? StopFromEnvironment(SpanRing ring)
    {
        lock (s_gate)
        {
            OtlpExporter? exporter = s_fromEnvironment;
            s_fromEnvironment = null;
            if (exporter is null || exporter._ring != ring || !s_started.Contains(exporter))
            {
                return null;
            }
            SpanRingCursor cursor = exporter.HandOver();
            s_started.Remove(exporter);
            if (s_current == exporter)
            {
                Volatile.Write(ref s_current, null);
            }
            return cursor;
        }
    }

    private static OtlpExporter? StartOn(SpanRing ring, OtlpExporterOptions options, bool replaceCurrent)
    {
        if (options.Endpoint is null && string.IsNullOrEmpty(options.FilePath))
        {
            Diagnostics.Warn("no OTLP endpoint is configured (set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OtlpExporterOptions.Endpoint); spans are not exported.");
            return null;
        }
        lock (s_gate)
        {
            OtlpExporter? previous = replaceCurrent ? s_current : null;
            SpanRingCursor? cursor = null;
            if (previous is not null && previous._ring == ring)
            {
                cursor = previous.HandOver();
                s_started.Remove(previous);
            }
            if (options.Stage is null && OtelGen.Sampling.TailSamplingStage.FromSettings(OtelGen.Sampling.SamplingSettings.Current) is { } tail)
            {
                // Tail sampling is on (OTELGEN_SAMPLER or SamplingSettings): this exporter gets a stage of its own.
                options = options.Clone();
                options.Stage = tail;
            }
            OtlpExporter exporter;
            try
            {
                exporter = new OtlpExporter(ring, options, null, cursor);
            }
            catch
            {
                // The handed-over cursor has no reader now.
                cursor?.Release();
                throw;
            }
            s_started.Add(exporter);
            if (replaceCurrent)
            {
                Volatile.Write(ref s_current, exporter);
            }
            if (!s_processExitHooked)
            {
                s_processExitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += static (_, _) => ShutdownOnExit();
            }
            return exporter;
        }
    }

    /// <summary>
    /// The flush on process exit: every exporter that asks for it drains the ring batch after batch, each
    /// bounded by its batch deadline; one stops at its first failed batch (the collector is down or too slow:
    /// waiting longer would only delay the exit) and all within the longest <see cref="OtlpExporterOptions.ExitFlushLimit"/>.
    /// </summary>
    private static void ShutdownOnExit() => FlushOnExit(Started().FindAll(static e => e._options.FlushOnProcessExit));

    /// <summary>What the process exit hook does, for the given exporters (tests call it directly).</summary>
    internal static void FlushOnExit(List<OtlpExporter> exporters)
    {
        TimeSpan limit = TimeSpan.Zero;
        foreach (OtlpExporter exporter in exporters)
        {
            TimeSpan own = exporter._options.ExitFlushLimit > exporter._options.BatchDeadline ? exporter._options.ExitFlushLimit : exporter._options.BatchDeadline;
            limit = own > limit ? own : limit;
        }
        DateTime deadline = DeadlineAfter(limit);
        foreach (OtlpExporter exporter in exporters)
        {
            exporter._exitFlush = true;
            exporter.BeginShutdown(deadline);
        }
        foreach (OtlpExporter exporter in exporters)
        {
            exporter.EndShutdown(deadline);
        }
    }

    private static List<OtlpExporter> Started()
    {
        lock (s_gate)
        {
            return new List<OtlpExporter>(s_started);
        }
    }

    private static IOtlpSender CreateSender(OtlpExporterOptions options)
    {
        if (!string.IsNullOrEmpty(options.FilePath))
        {
            options.Protocol = OtlpProtocol.HttpJson;
            return new OtlpFileSender(options.FilePath);
        }
        if (options.Endpoint is null)
        {
            throw new ArgumentException("The options name neither an endpoint nor a file.", nameof(options));
        }
        // An endpoint the environment derived for the other protocol kind (gRPC or HTTP) is derived again for this one.
        options.Endpoint = options.ResolvedEndpoint() ?? throw new ArgumentException("The endpoint does not suit the protocol.", nameof(options));
        return options.CreateTransport(options.Endpoint, OtlpGrpcTransport.TracesPath, options.Retry);
    }

    private static DateTime DeadlineAfter(TimeSpan timeout)
    {
        DateTime now = DateTime.UtcNow;
        return timeout < TimeSpan.Zero || timeout >= DateTime.MaxValue - now ? DateTime.MaxValue : now + timeout;
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        if (deadline == DateTime.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }
        TimeSpan left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private void BeginShutdown(DateTime deadline)
    {
        lock (_lifecycle)
        {
            if (!_stopping)
            {
                Interlocked.Exchange(ref _stopTarget, _ring.Written);
                Interlocked.Exchange(ref _shutdownDeadlineTicks, deadline.Ticks);
                _stopping = true;
            }
        }
        _wake.Set();
    }

    private bool EndShutdown(DateTime deadline)
    {
        TimeSpan left = Remaining(deadline);
        if (!_thread.Join(left == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : left))
        {
            // Past the deadline: abandon the request in flight so that the thread ends.
            _abort.Cancel();
            _thread.Join(TimeSpan.FromSeconds(2));
        }
        bool complete = Interlocked.Read(ref _processed) >= Interlocked.Read(ref _stopTarget);
        // Stopped (or stuck past its deadline): the ring must no longer grow for this reader.
        _cursor.Release();
        Release();
        return complete;
    }

    /// <summary>Stops without draining and gives the cursor to a successor.</summary>
    private SpanRingCursor HandOver()
    {
        _handover = true;
        _stopping = true;
        _abort.Cancel();
        _wake.Set();
        _thread.Join(TimeSpan.FromSeconds(5));
        Release();
        return _cursor;
    }

    private void Release()
    {
        lock (_lifecycle)
        {
            if (_disposed || !_exited)
            {
                return;
            }
            _disposed = true;
        }
        ExporterMetrics.Unregister(this);
        lock (s_gate)
        {
            s_started.Remove(this);
            if (s_current == this)
            {
                Volatile.Write(ref s_current, null);
            }
        }
        _sender.Dispose();
        _body.Dispose();
    }

    private bool WaitProcessed(long target, DateTime deadline)
    {
        lock (_progress)
        {
            // Counted before _processed is read: an exporter that moves _processed after this read sees the count.
            Interlocked.Increment(ref _progressWaiters);
            try
            {
                while (Interlocked.Read(ref _processed) < target && !_exited)
                {
                    TimeSpan left = Remaining(deadline);
                    if (left == TimeSpan.Zero)
                    {
                        return false;
                    }
                    Monitor.Wait(_progress, left == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(left.Ticks, TimeSpan.TicksPerSecond)));
                }
                return Interlocked.Read(ref _processed) >= target;
            }
            finally
            {
                Interlocked.Decrement(ref _progressWaiters);
            }
        }
    }

    private void Run()
    {
        long lastExport = Stopwatch.GetTimestamp();
        int maxPoll = (int)Math.Clamp(_options.ScheduleDelay.TotalMilliseconds, 1, 100);
        long lastWake = lastExport;
        long writtenAtLastWake = _ring.Written;
        try
        {
            while (true)
            {
                if (_handover)
                {
                    return;
                }
                bool stopping = _stopping;
                bool flushing = Interlocked.Read(ref _flushTarget) > Interlocked.Read(ref _processed);
                long pending = _cursor.Pending;
                bool scheduled = Stopwatch.GetElapsedTime(lastExport) >= _options.ScheduleDelay;
                if (stopping || flushing || scheduled || pending >= _options.MaxExportBatchSize)
                {
                    // Back to back while full batches are waiting; a partial batch only when it is due.
                    ExportPending(final: stopping, fullBatchesOnly: !(stopping || flushing || scheduled));
                    lastExport = Stopwatch.GetTimestamp();
                    if ((scheduled || flushing) && !stopping && !_handover)
                    {
                        ReplaySpool();
                    }
                }
                UpdateProcessed();
                if (stopping)
                {
                    if (Interlocked.Read(ref _processed) >= Interlocked.Read(ref _stopTarget) || DateTime.UtcNow.Ticks >= Interlocked.Read(ref _shutdownDeadlineTicks) || _abort.IsCancellationRequested || _gaveUp)
                    {
                        return;
                    }
                    _wake.WaitOne(5);
                    continue;
                }
                // Writers never signal (that would cost them): sleep about as long as spans at the rate
                // since the last wake take to fill a batch, instead of waking every millisecond.
                long now = Stopwatch.GetTimestamp();
                long written = _ring.Written;
                _wake.WaitOne(NextPoll(written - writtenAtLastWake, Stopwatch.GetElapsedTime(lastWake, now), _options.MaxExportBatchSize - _cursor.Pending, maxPoll));
                lastWake = now;
                writtenAtLastWake = written;
            }
        }
        catch (Exception e)
        {
            Diagnostics.Warn("the OTLP exporter stopped after an unexpected error: " + e.GetType().Name + ": " + e.Message);
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

    /// <summary>
    /// Milliseconds until <paramref name="missing"/> more spans arrive at the rate of <paramref name="arrived"/>
    /// in <paramref name="over"/>, within 1..<paramref name="maxPoll"/>.
    /// </summary>
    internal static int NextPoll(long arrived, TimeSpan over, long missing, int maxPoll)
    {
        if (missing <= 0)
        {
            return 1;
        }
        if (arrived <= 0)
        {
            return maxPoll;
        }
        double millis = over.TotalMilliseconds * missing / arrived;
        return millis >= maxPoll ? maxPoll : Math.Max(1, (int)millis);
    }

    private void ExportPending(bool final, bool fullBatchesOnly = false)
    {
        while (!_handover && !_gaveUp)
        {
            EnforceQueueBound();
            if (fullBatchesOnly && _cursor.Pending < _batch.Length)
            {
                break;
            }
            int count = _cursor.Read(_batch, NowNanos());
            AccountLost();
            if (count == 0)
            {
                break;
            }
            if (_stage is not null)
            {
                int kept = _stage.Process(_batch, count, out int held);
                kept = Math.Clamp(kept, 0, count);
                held = Math.Clamp(held, 0, count - kept);
                Interlocked.Add(ref _held, held);
                Interlocked.Add(ref _filtered, count - kept - held);
                count = kept;
            }
            if (count > 0)
            {
                ExportBatch(count, replayed: false);
            }
            // Report progress batch by batch, so that a flush ends even while spans keep coming.
            UpdateProcessed();
            if (_abort.IsCancellationRequested || (_stopping && Interlocked.Read(ref _processed) >= Interlocked.Read(ref _stopTarget)))
            {
                break;
            }
        }
        if (_stage is not null && !_gaveUp)
        {
            int released;
            while (!_abort.IsCancellationRequested && !_gaveUp && (released = Math.Clamp(_stage.Release(_batch, final), 0, _batch.Length)) > 0)
            {
                Interlocked.Add(ref _held, -released);
                ExportBatch(released, replayed: false);
            }
        }
    }

    private void EnforceQueueBound()
    {
        if (_queueIsRing)
        {
            return;
        }
        long excess;
        while ((excess = _cursor.Pending - _options.MaxQueueSize) > 0)
        {
            int count = _cursor.Read(_batch.AsSpan(0, (int)Math.Min(excess, _batch.Length)), NowNanos());
            AccountLost();
            if (count == 0)
            {
                return;
            }
            Interlocked.Add(ref _queueFull, count);
        }
    }

    private void AccountLost()
    {
        long lost = _cursor.Lost;
        long delta = lost - Interlocked.Read(ref _lostSeen);
        if (delta > 0)
        {
            Interlocked.Add(ref _overwritten, delta);
            Interlocked.Exchange(ref _lostSeen, lost);
        }
    }

    private void UpdateProcessed()
    {
        long written = _ring.Written;
        long position = written - _cursor.Pending;
        if (position > Interlocked.Read(ref _processed))
        {
            Interlocked.Exchange(ref _processed, position);
            if (Volatile.Read(ref _progressWaiters) > 0)
            {
                lock (_progress)
                {
                    Monitor.PulseAll(_progress);
                }
            }
        }
    }

    private DateTime Deadline()
    {
        DateTime deadline = DateTime.UtcNow + _options.BatchDeadline;
        long shutdown = Interlocked.Read(ref _shutdownDeadlineTicks);
        if (shutdown != DateTime.MaxValue.Ticks && _spool is not null)
        {
            // Leave a moment before the shutdown deadline to write a failed batch to the spool.
            shutdown -= TimeSpan.TicksPerMillisecond * 250;
        }
        return shutdown < deadline.Ticks ? new DateTime(shutdown, DateTimeKind.Utc) : deadline;
    }

    private void ExportBatch(int count, bool replayed)
    {
        _body.Clear();
        _encoder.Encode(new ReadOnlySpan<SpanRecord>(_batch, 0, count), _body, _sender.Protocol);
        // While the collector is known down and a spool keeps batches, one attempt is enough.
        bool probeOnly = _collectorDown && _spool is not null;
        ExportResult result = _sender.Send(_body.WrittenMemory, Deadline(), _abort.Token, retry: !probeOnly);
        if (Tally(result, count, replayed) == ExportOutcome.RetryableFailure)
        {
            // On process exit a failed batch ends the flush (after this batch is spooled or counted).
            _gaveUp = _exitFlush;
            if (_spool is not null && _spool.TrySave(_body.WrittenSpan, count, out long evicted))
            {
                Interlocked.Add(ref _spooled, count);
                Interlocked.Add(ref _failed, evicted);
                Interlocked.Add(ref _unspooled, evicted);
                _collectorDown = true;
                _spoolMayHaveBatches = true;
            }
            else
            {
                Interlocked.Add(ref _failed, count);
            }
        }
    }

    private ExportOutcome Tally(ExportResult result, int count, bool replayed)
    {
        switch (result.Outcome)
        {
            case ExportOutcome.Success:
            case ExportOutcome.PartialSuccess:
                long rejected = Math.Clamp(result.RejectedItems, 0, count);
                Interlocked.Add(ref _exported, count - rejected);
                Interlocked.Add(ref _rejected, rejected);
                if (replayed)
                {
                    Interlocked.Add(ref _replayed, count - rejected);
                }
                Interlocked.Increment(ref _exports);
                _collectorDown = false;
                break;
            case ExportOutcome.Rejected:
                Interlocked.Add(ref _rejected, count);
                Interlocked.Increment(ref _failures);
                _collectorDown = false;
                break;
            default:
                Interlocked.Increment(ref _failures);
                break;
        }
        return result.Outcome;
    }

    private void ReplaySpool()
    {
        if (_spool is null || !_spoolMayHaveBatches)
        {
            return;
        }
        List<string> files = _spool.Files();
        if (files.Count == 0)
        {
            _spoolMayHaveBatches = false;
            return;
        }
        // A few per cycle, so that live spans are not starved while a long backlog drains.
        int budget = 16;
        foreach (string file in files)
        {
            if (budget-- == 0 || _abort.IsCancellationRequested || _stopping)
            {
                return;
            }
            if (!_spool.TryLoad(file, _body, out int count))
            {
                continue;
            }
            ExportResult result = _sender.Send(_body.WrittenMemory, Deadline(), _abort.Token, retry: false);
            ExportOutcome outcome = Tally(result, count, replayed: true);
            if (outcome == ExportOutcome.RetryableFailure)
            {
                _collectorDown = true;
                return;
            }
            ExportSpool.Delete(file);
            Interlocked.Add(ref _unspooled, count);
        }
    }

    private static long NowNanos() => (long)(Stopwatch.GetTimestamp() * s_nanosPerTick);
}
