using System;
using System.Collections.Concurrent;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>
/// Settings of an <see cref="OtlpLogsExporter"/>: the shared OTLP settings plus the batch processor's
/// (<c>OTEL_BLRP_*</c>). <see cref="FromEnvironment"/> reads the standard variables.
/// </summary>
internal sealed class OtlpLogsExporterOptions : OtlpOptions
{
    /// <summary>At most this many records wait for export (<c>OTEL_BLRP_MAX_QUEUE_SIZE</c>, default 2048); more are dropped and counted.</summary>
    public int MaxQueueSize { get; set; } = 2048;
    /// <summary>At most this many records per request (<c>OTEL_BLRP_MAX_EXPORT_BATCH_SIZE</c>, default 512).</summary>
    public int MaxExportBatchSize { get; set; } = 512;
    /// <summary>Time between exports when fewer than a batch wait (<c>OTEL_BLRP_SCHEDULE_DELAY</c>, default 1 s).</summary>
    public TimeSpan ScheduleDelay { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Where to send instead of HTTP (a test double).</summary>
    public IOtlpSender? Sender { get; set; }

    /// <summary>
    /// Reads <c>OTEL_EXPORTER_OTLP_LOGS_ENDPOINT</c> (as is) or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> + <c>/v1/logs</c>,
    /// <c>OTEL_EXPORTER_OTLP[_LOGS]_PROTOCOL</c>, <c>_HEADERS</c>, <c>_COMPRESSION</c>, <c>_TIMEOUT</c> and <c>OTEL_BLRP_*</c>.
    /// A malformed value gives one warning and its default.
    /// </summary>
    public static OtlpLogsExporterOptions FromEnvironment()
    {
        var options = new OtlpLogsExporterOptions();
        options.ReadSharedEnvironment("LOGS", "v1/logs");
        options.MaxQueueSize = EnvironmentSettings.GetPositiveInt("OTEL_BLRP_MAX_QUEUE_SIZE", options.MaxQueueSize);
        options.MaxExportBatchSize = Math.Min(options.MaxQueueSize, EnvironmentSettings.GetPositiveInt("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", options.MaxExportBatchSize));
        options.ScheduleDelay = TimeSpan.FromMilliseconds(Math.Max(1, EnvironmentSettings.GetNonNegativeDouble("OTEL_BLRP_SCHEDULE_DELAY", options.ScheduleDelay.TotalMilliseconds)));
        return options;
    }

    /// <summary>True when <c>OTEL_LOGS_EXPORTER</c> names <c>otlp</c> (and <c>OTEL_SDK_DISABLED</c> is not true).</summary>
    public static bool EnabledByEnvironment()
    {
        string? kind = EnvironmentSettings.Get("OTEL_LOGS_EXPORTER");
        if (kind is null || string.Equals(EnvironmentSettings.Get("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        foreach (string name in kind.Split(','))
        {
            if (name.Trim().Equals("otlp", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>
/// Sends log records over OTLP to <c>/v1/logs</c> (or the gRPC LogsService) from a background thread, in batches.
/// <see cref="TryEnqueue"/> never blocks and never throws: beyond <see cref="OtlpLogsExporterOptions.MaxQueueSize"/>
/// waiting records a record is dropped and counted (<see cref="DroppedQueueFull"/>). Retries and timeouts are the
/// senders' (as for spans); what waits is sent on <see cref="Flush"/>, <see cref="Dispose"/> and process exit,
/// bounded by the timeout.
/// </summary>
internal sealed class OtlpLogsExporter : IDisposable
{
    private static OtlpLogsExporter? s_fromEnvironment;

    private readonly OtlpLogsExporterOptions _options;
    private readonly IOtlpSender _sender;
    private readonly OtlpLogsEncoder _encoder;
    private readonly ConcurrentQueue<OtlpLogRecord> _queue = new();
    private readonly OtlpLogRecord[] _batch;
    private readonly PooledBuffer _buffer = new(4096);
    private readonly object _exportLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread? _thread;
    private int _queued;
    private long _enqueued;
    private long _exported;
    private long _droppedQueueFull;
    private long _droppedFailed;
    private long _exports;
    private long _failures;
    private int _warnedFull;
    private int _disposed;

    /// <summary>Starts exporting (a background thread when <paramref name="startThread"/>).</summary>
    public OtlpLogsExporter(OtlpLogsExporterOptions options, bool startThread = true)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Sender is null && options.Endpoint is null)
        {
            throw new ArgumentException("Set Endpoint or Sender.", nameof(options));
        }
        _sender = options.Sender ?? (options.UseGrpc
            ? new OtlpGrpcTransport(options.Endpoint!, OtlpGrpcTransport.LogsPath, options.Headers, options.Gzip)
            : new OtlpHttpTransport(options.Endpoint!, options.Protocol, options.Headers, options.Gzip));
        _encoder = new OtlpLogsEncoder(OtlpResource.Create(options.ServiceName));
        _batch = new OtlpLogRecord[Math.Max(1, Math.Min(options.MaxExportBatchSize, options.MaxQueueSize))];
        if (options.FlushOnProcessExit)
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }
        if (startThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "OtelGen OTLP logs" };
            _thread.Start();
        }
    }

    /// <summary>Records accepted into the queue.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);
    /// <summary>Records the collector accepted.</summary>
    public long Exported => Interlocked.Read(ref _exported);
    /// <summary>Records dropped because the queue was full.</summary>
    public long DroppedQueueFull => Interlocked.Read(ref _droppedQueueFull);
    /// <summary>Records dropped because their request failed (after retries) or was refused.</summary>
    public long DroppedFailed => Interlocked.Read(ref _droppedFailed);
    /// <summary>Requests accepted by the collector.</summary>
    public long Exports => Interlocked.Read(ref _exports);
    /// <summary>Requests that failed (after retries) or were refused.</summary>
    public long Failures => Interlocked.Read(ref _failures);
    /// <summary>Records waiting.</summary>
    public int Pending => Volatile.Read(ref _queued);
    /// <summary>The sender (for tests).</summary>
    internal IOtlpSender Sender => _sender;

    /// <summary>
    /// The process-wide exporter when <c>OTEL_LOGS_EXPORTER=otlp</c> and an endpoint is set (started on first call),
    /// or null. Never throws.
    /// </summary>
    public static OtlpLogsExporter? StartFromEnvironment()
    {
        try
        {
            if (Volatile.Read(ref s_fromEnvironment) is { } running)
            {
                return running;
            }
            if (!OtlpLogsExporterOptions.EnabledByEnvironment())
            {
                return null;
            }
            OtlpLogsExporterOptions options = OtlpLogsExporterOptions.FromEnvironment();
            if (options.Endpoint is null)
            {
                options.Endpoint = new Uri(options.UseGrpc ? "http://localhost:4317" : "http://localhost:4318/v1/logs");
            }
            var exporter = new OtlpLogsExporter(options);
            if (Interlocked.CompareExchange(ref s_fromEnvironment, exporter, null) is { } other)
            {
                exporter.Dispose();
                return other;
            }
            return exporter;
        }
        catch (Exception e)
        {
            Diagnostics.Warn("could not start the OTLP logs exporter: " + e.Message);
            return null;
        }
    }

    /// <summary>
    /// Queues <paramref name="record"/> for export; false (the record dropped, counted, its attributes returned) when the
    /// queue is full or the exporter is disposed. Never blocks, never throws.
    /// </summary>
    public bool TryEnqueue(ref OtlpLogRecord record)
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Increment(ref _queued) > _options.MaxQueueSize)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                Interlocked.Decrement(ref _queued);
            }
            Interlocked.Increment(ref _droppedQueueFull);
            record.ReturnAttributes();
            if (Interlocked.Exchange(ref _warnedFull, 1) == 0)
            {
                Diagnostics.Warn("the OTLP log queue is full (OTEL_BLRP_MAX_QUEUE_SIZE); log records are dropped and counted.");
            }
            return false;
        }
        _queue.Enqueue(record);
        Interlocked.Increment(ref _enqueued);
        if (Volatile.Read(ref _queued) >= _batch.Length)
        {
            _wake.Set();
        }
        return true;
    }

    /// <summary>Sends everything queued now, bounded by <paramref name="timeout"/> (default: the export timeout). True when all were accepted.</summary>
    public bool Flush(TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? _options.Timeout);
        return Drain(deadline, CancellationToken.None);
    }

    /// <summary>Stops the thread, sends what waits (bounded by the timeout) and releases the transport.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _stop.Cancel();
        _wake.Set();
        _thread?.Join(_options.Timeout + TimeSpan.FromSeconds(1));
        // The stop token is cancelled: send once more without it, bounded by the timeout.
        Drain(DateTime.UtcNow + _options.Timeout, CancellationToken.None);
        lock (_exportLock)
        {
            while (_queue.TryDequeue(out OtlpLogRecord left))
            {
                left.ReturnAttributes();
                Interlocked.Increment(ref _droppedFailed);
            }
            _sender.Dispose();
            _buffer.Dispose();
        }
        Interlocked.CompareExchange(ref s_fromEnvironment, null, this);
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private void Run()
    {
        CancellationToken stop = _stop.Token;
        WaitHandle[] handles = { stop.WaitHandle, _wake };
        while (!stop.IsCancellationRequested)
        {
            WaitHandle.WaitAny(handles, _options.ScheduleDelay);
            if (stop.IsCancellationRequested)
            {
                return;
            }
            Drain(DateTime.UtcNow + _options.Timeout, stop);
        }
    }

    // Sends batches until the queue is empty, the deadline passes or (between batches) stop is requested. A batch
    // taken from the queue is never cancelled half way (that would lose it on Dispose): the deadline bounds it. Never throws.
    private bool Drain(DateTime deadline, CancellationToken stop)
    {
        bool ok = true;
        lock (_exportLock)
        {
            if (_buffer.Array.Length == 0)
            {
                return false; // disposed
            }
            while (!_queue.IsEmpty && DateTime.UtcNow < deadline && !stop.IsCancellationRequested)
            {
                int count = 0;
                while (count < _batch.Length && _queue.TryDequeue(out OtlpLogRecord record))
                {
                    _batch[count++] = record;
                }
                Interlocked.Add(ref _queued, -count);
                ok &= Send(count, deadline);
            }
        }
        return ok;
    }

    private bool Send(int count, DateTime deadline)
    {
        try
        {
            _buffer.Clear();
            _encoder.Encode(new ReadOnlySpan<OtlpLogRecord>(_batch, 0, count), _buffer, _sender.Protocol);
            ExportResult result = _sender.Send(_buffer.WrittenMemory, deadline);
            if (result.Outcome is ExportOutcome.Success or ExportOutcome.PartialSuccess)
            {
                long rejected = Math.Min(count, Math.Max(0, result.RejectedItems));
                Interlocked.Increment(ref _exports);
                Interlocked.Add(ref _exported, count - rejected);
                Interlocked.Add(ref _droppedFailed, rejected);
                return rejected == 0;
            }
            Interlocked.Increment(ref _failures);
            Interlocked.Add(ref _droppedFailed, count);
            return false;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            Interlocked.Add(ref _droppedFailed, count);
            Diagnostics.Warn("OTLP logs export failed: " + e.GetType().Name + ": " + e.Message);
            return false;
        }
        finally
        {
            for (int i = 0; i < count; i++)
            {
                _batch[i].ReturnAttributes();
                _batch[i] = default;
            }
        }
    }
}
