using System;
using System.Runtime.InteropServices;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

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
    private readonly OtlpLogsExporterOptions _options;
    private readonly IOtlpSender _sender;
    private readonly OtlpLogsEncoder _encoder;
    private readonly RecordRing _queue;
    private readonly OtlpLogRecord[] _batch;
    private readonly PooledBuffer _buffer = new(4096);
    private readonly object _exportLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread? _thread;
    private long _exported;
    private long _droppedQueueFull;
    private long _droppedRejected;
    private long _droppedFailed;
    private long _exports;
    private long _failures;
    private long _dequeued;
    private int _warnedFull;
    private int _disposed;
    // 1 while the worker waits (or is about to) for a full batch or the schedule delay: only then do producers wake it.
    private int _waiting;

    /// <summary>Starts exporting (a background thread when <paramref name="startThread"/>).</summary>
    public OtlpLogsExporter(OtlpLogsExporterOptions options, bool startThread = true)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Sender is null && options.Endpoint is null)
        {
            throw new ArgumentException("Set Endpoint or Sender.", nameof(options));
        }
        // The same transport as traces and metrics: OTLP/HTTP or gRPC, and the TLS files for https.
        _sender = options.Sender ?? options.CreateTransport(
            options.ResolvedEndpoint() ?? throw new ArgumentException("The endpoint does not suit the protocol.", nameof(options)),
            OtlpGrpcTransport.LogsPath);
        _encoder = new OtlpLogsEncoder(OtlpResource.Create(options.ServiceName, options.ResourceAttributes));
        _batch = new OtlpLogRecord[Math.Max(1, Math.Min(options.MaxExportBatchSize, options.MaxQueueSize))];
        _queue = new RecordRing(Math.Max(1, options.MaxQueueSize));
        if (options.FlushOnProcessExit)
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }
        TargetName = _sender switch { OtlpFileSender => "file", OtlpGrpcTransport => "grpc", _ => "http" };
        if (startThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "OtelGen OTLP logs" };
            _thread.Start();
        }
        ExporterMetrics.Register(this);
    }

    /// <summary>Records accepted into the queue.</summary>
    public long Enqueued => _queue.Enqueued;
    /// <summary>Records the collector accepted.</summary>
    public long Exported => Interlocked.Read(ref _exported);
    /// <summary>Records dropped because the queue was full.</summary>
    public long DroppedQueueFull => Interlocked.Read(ref _droppedQueueFull);
    /// <summary>Records in requests the collector refused (400, 413, other 4xx) or rejected in a partial success.</summary>
    public long DroppedRejected => Interlocked.Read(ref _droppedRejected);
    /// <summary>Records whose request failed past the retries and the deadline, or still waiting when the exporter stopped.</summary>
    public long DroppedFailed => Interlocked.Read(ref _droppedFailed);
    /// <summary>Requests accepted by the collector.</summary>
    public long Exports => Interlocked.Read(ref _exports);
    /// <summary>Requests that failed (after retries) or were refused.</summary>
    public long Failures => Interlocked.Read(ref _failures);
    /// <summary>Records waiting.</summary>
    public int Pending => (int)_queue.Count;
    /// <summary><c>http</c>, <c>grpc</c> or <c>file</c>: the tag value on this exporter's metrics.</summary>
    public string TargetName { get; }

    /// <summary>
    /// What the exporter has done so far, read at any time from any thread: <c>Exported</c>, <c>DroppedQueueFull</c>,
    /// <c>DroppedRejected</c>, <c>DroppedFailed</c>, <c>Exports</c>, <c>Failures</c>, <c>Retries</c>, <c>Pending</c>
    /// (counts of log records and requests; the span-only counts stay 0).
    /// </summary>
    public ExporterStatistics Statistics => new()
    {
        Exported = Exported,
        DroppedQueueFull = DroppedQueueFull,
        DroppedRejected = DroppedRejected,
        DroppedFailed = DroppedFailed,
        Exports = Exports,
        Failures = Failures,
        Retries = _sender.Retries,
        Pending = Pending,
    };

    /// <summary>The sender (for tests).</summary>
    internal IOtlpSender Sender => _sender;

    /// <summary>
    /// True when a record offered now would be dropped (the queue is full, or the exporter disposed): a caller can
    /// skip making it and call <see cref="CountDropped"/>, so that a flood under a collector that is down costs little.
    /// </summary>
    public bool IsFull => _queue.IsFull || Volatile.Read(ref _disposed) != 0;

    /// <summary>Counts a record dropped before it was made (see <see cref="IsFull"/>).</summary>
    public void CountDropped()
    {
        Interlocked.Increment(ref _droppedQueueFull);
        WakeIfWaiting(); // a full queue is more than a batch: the worker may have missed its wake-up
        if (Interlocked.Exchange(ref _warnedFull, 1) == 0)
        {
            Diagnostics.Warn("the OTLP log queue is full (OTEL_BLRP_MAX_QUEUE_SIZE); log records are dropped and counted.");
        }
    }

    /// <summary>
    /// Queues <paramref name="record"/> with <paramref name="attributes"/> (copied into the queue's own storage; the
    /// record's <see cref="OtlpLogRecord.Attributes"/> is ignored) for export; false (the record dropped and counted)
    /// when the queue is full or the exporter is disposed. Never blocks, never throws, allocates nothing once warm.
    /// </summary>
    public bool TryEnqueue(in OtlpLogRecord record, ReadOnlySpan<KeyValue> attributes = default)
    {
        long position = TryClaim();
        if (position < 0)
        {
            return false;
        }
        KeyValue[]? storage = StorageAt(position);
        if (attributes.Length > 0)
        {
            if (storage is null || storage.Length < attributes.Length)
            {
                storage = new KeyValue[Math.Max(8, attributes.Length)];
            }
            attributes.CopyTo(storage);
        }
        RecordAt(position) = record;
        Publish(position, storage, attributes.Length);
        return true;
    }

    /// <summary>
    /// Takes the next position for a record written in place (<see cref="RecordAt"/>, <see cref="StorageAt"/>, then
    /// <see cref="Publish"/>, always, even when writing it failed): one compare-exchange, the ring being the bound (exactly
    /// <see cref="OtlpLogsExporterOptions.MaxQueueSize"/> slots). -1, the record dropped and counted, when the queue is
    /// full or the exporter disposed. Until it is published, the worker waits for it (records behind it wait too), so
    /// the caller writes it at once. Never blocks, never throws.
    /// </summary>
    public long TryClaim()
    {
        long position = Volatile.Read(ref _disposed) != 0 ? -1 : _queue.TryClaim();
        if (position < 0)
        {
            CountDropped();
        }
        return position;
    }

    /// <summary>The record at a claimed position, to be overwritten whole (it holds the slot's previous record).</summary>
    public ref OtlpLogRecord RecordAt(long position) => ref _queue.RecordAt(position);

    /// <summary>The attribute array kept by a claimed position's slot (cleared; null before its first use), to write the attributes into.</summary>
    public KeyValue[]? StorageAt(long position) => _queue.StorageAt(position);

    /// <summary>Hands a claimed record to the worker with its first <paramref name="count"/> attributes in <paramref name="attributes"/> (the slot keeps that array).</summary>
    public void Publish(long position, KeyValue[]? attributes, int count)
    {
        _queue.Publish(position, attributes, count);
        if ((position + 1) % _batch.Length == 0)
        {
            // Every batch-th record wakes the worker if it waits (it drains until the queue is empty, so it need not be
            // woken while it works; reading only the position here keeps the worker's side of the ring off this core).
            WakeIfWaiting();
        }
    }

    private void WakeIfWaiting()
    {
        if (Volatile.Read(ref _waiting) != 0)
        {
            _wake.Set();
        }
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
        // The whole of it is bounded by one export timeout (process exit waits for this): the worker finishes the
        // batch it is sending, then what is left goes out in single attempts until the same deadline.
        DateTime deadline = DateTime.UtcNow + _options.Timeout;
        _stop.Cancel();
        _wake.Set();
        _thread?.Join(_options.Timeout);
        Drain(deadline, CancellationToken.None, retry: false);
        lock (_exportLock)
        {
            OtlpLogRecord left = default;
            while (_queue.TryDequeue(ref left))
            {
                Interlocked.Increment(ref _droppedFailed);
            }
            _sender.Dispose();
            _buffer.Dispose();
        }
        ExporterMetrics.Unregister(this);
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private void Run()
    {
        CancellationToken stop = _stop.Token;
        WaitHandle[] handles = { stop.WaitHandle, _wake };
        bool progress = true;
        while (!stop.IsCancellationRequested)
        {
            // Say that it waits before looking at the queue (a full fence, as the producers' compare-exchange is): a producer
            // that misses the flag has queued records this look sees. Less than a batch waits for a wake-up or the delay;
            // a drain that took nothing (a record counted but not yet written) waits a millisecond.
            Interlocked.Exchange(ref _waiting, 1);
            if (!progress || _queue.Count < _batch.Length)
            {
                WaitHandle.WaitAny(handles, progress ? _options.ScheduleDelay : TimeSpan.FromMilliseconds(1));
            }
            Volatile.Write(ref _waiting, 0);
            if (stop.IsCancellationRequested)
            {
                return;
            }
            long before = Volatile.Read(ref _dequeued);
            Drain(DateTime.UtcNow + _options.Timeout, stop);
            progress = Volatile.Read(ref _dequeued) != before || _queue.Count == 0;
        }
    }

    // Sends batches until the queue is empty, the deadline passes or (between batches) stop is requested. A batch
    // taken from the queue is never cancelled half way (that would lose it on Dispose): the deadline bounds it. Never throws.
    private bool Drain(DateTime deadline, CancellationToken stop, bool retry = true)
    {
        bool ok = true;
        lock (_exportLock)
        {
            if (_buffer.Array.Length == 0)
            {
                return false; // disposed
            }
            while (_queue.Count > 0 && DateTime.UtcNow < deadline && !stop.IsCancellationRequested)
            {
                int count = 0;
                while (count < _batch.Length && _queue.TryDequeue(ref _batch[count]))
                {
                    count++;
                }
                if (count == 0)
                {
                    break; // counted but not yet written by its logging thread: the next drain takes it
                }
                Volatile.Write(ref _dequeued, _dequeued + count);
                ok &= Send(count, deadline, retry);
            }
        }
        return ok;
    }

    private bool Send(int count, DateTime deadline, bool retry)
    {
        try
        {
            RenderBodies(count);
            _buffer.Clear();
            _encoder.Encode(new ReadOnlySpan<OtlpLogRecord>(_batch, 0, count), _buffer, _sender.Protocol);
            ExportResult result = _sender.Send(_buffer.WrittenMemory, deadline, default, retry);
            if (result.Outcome is ExportOutcome.Success or ExportOutcome.PartialSuccess)
            {
                long rejected = Math.Min(count, Math.Max(0, result.RejectedItems));
                Interlocked.Increment(ref _exports);
                Interlocked.Add(ref _exported, count - rejected);
                Interlocked.Add(ref _droppedRejected, rejected);
                return rejected == 0;
            }
            Interlocked.Increment(ref _failures);
            Interlocked.Add(ref result.Outcome == ExportOutcome.Rejected ? ref _droppedRejected : ref _droppedFailed, count);
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
                // Keep the attribute array: the next dequeue into this entry gives it back to the queue.
                KeyValue[]? attributes = _batch[i].Attributes;
                if (attributes is not null)
                {
                    Array.Clear(attributes, 0, _batch[i].AttributeCount);
                }
                _batch[i] = new OtlpLogRecord { Attributes = attributes };
            }
        }
    }

    // The bodies a logger left to this thread to format (OtlpLogRecord.BodyRenderer); a renderer that throws leaves the body out.
    private void RenderBodies(int count)
    {
        for (int i = 0; i < count; i++)
        {
            ref OtlpLogRecord record = ref _batch[i];
            if (record.Body is null && record.BodyRenderer is { } render && record.BodyState is { } state && record.BodyFormatter is { } formatter)
            {
                try
                {
                    record.Body = render(state, formatter);
                }
                catch (Exception)
                {
                    // the renderer's own fallbacks failed too: no body
                }
            }
        }
    }

    /// <summary>
    /// The queue: a preallocated ring of records (a bounded multi-producer queue after Dmitry Vyukov's: a sequence
    /// number per slot, one compare-exchange per enqueue), so queuing a record allocates nothing. One consumer (the
    /// export lock). Exactly as many slots as the queue size (a mask when that is a power of two, else a remainder).
    /// The producers' position and the consumer's are on cache lines of their own, and a producer never reads the
    /// consumer's: whether there is room is the next slot's sequence number, which it reads to write the slot anyway.
    /// </summary>
    private sealed class RecordRing
    {
        private const int CacheLine = 64;

        private readonly Slot[] _slots;
        private readonly long _mask;
        private readonly long _capacity;
        private readonly bool _powerOfTwo;
        private Positions _positions;

        public long Capacity => _capacity;

        /// <summary>Records ever queued (positions taken).</summary>
        public long Enqueued => Volatile.Read(ref _positions.Tail);

        /// <summary>Records waiting (taken positions not yet dequeued).</summary>
        public long Count => Math.Max(0, Volatile.Read(ref _positions.Tail) - Volatile.Read(ref _positions.Head));

        /// <summary>True when the next position's slot still holds a record the consumer has not taken.</summary>
        public bool IsFull
        {
            get
            {
                long position = Volatile.Read(ref _positions.Tail);
                return Volatile.Read(ref _slots[Index(position)].Sequence) - position < 0;
            }
        }

        private long Index(long position) => _powerOfTwo ? position & _mask : position % _capacity;

        public RecordRing(int size)
        {
            int capacity = size;
            _slots = new Slot[capacity];
            _capacity = capacity;
            _mask = capacity - 1;
            _powerOfTwo = (capacity & (capacity - 1)) == 0;
            for (int i = 0; i < capacity; i++)
            {
                _slots[i].Sequence = i;
            }
        }

        /// <summary>Takes the next position (one compare-exchange), or -1 when the ring is full.</summary>
        public long TryClaim()
        {
            long position = Volatile.Read(ref _positions.Tail);
            while (true)
            {
                long difference = Volatile.Read(ref _slots[Index(position)].Sequence) - position;
                if (difference == 0)
                {
                    if (Interlocked.CompareExchange(ref _positions.Tail, position + 1, position) == position)
                    {
                        return position;
                    }
                    position = Volatile.Read(ref _positions.Tail);
                }
                else if (difference < 0)
                {
                    return -1; // full
                }
                else
                {
                    position = Volatile.Read(ref _positions.Tail);
                }
            }
        }

        public ref OtlpLogRecord RecordAt(long position) => ref _slots[Index(position)].Record;

        public KeyValue[]? StorageAt(long position) => _slots[Index(position)].Attributes;

        /// <summary>Makes a claimed slot's record readable, with the slot's attribute array (kept for the slot's next record).</summary>
        public void Publish(long position, KeyValue[]? attributes, int count)
        {
            ref Slot slot = ref _slots[Index(position)];
            slot.Attributes = attributes;
            slot.Record.Attributes = attributes;
            slot.Record.AttributeCount = attributes is null ? 0 : count;
            Volatile.Write(ref slot.Sequence, position + 1);
        }

        /// <summary>
        /// Moves the oldest record into <paramref name="target"/>; the attribute array <paramref name="target"/> held
        /// (encoded and cleared) goes to the freed slot, so arrays circulate between queue and batch.
        /// </summary>
        public bool TryDequeue(ref OtlpLogRecord target)
        {
            long position = _positions.Head;
            ref Slot slot = ref _slots[Index(position)];
            if (Volatile.Read(ref slot.Sequence) != position + 1)
            {
                return false; // empty, or the producer has not finished writing
            }
            KeyValue[]? spare = target.Attributes;
            target = slot.Record;
            slot.Record = default;
            slot.Attributes = spare;
            Volatile.Write(ref slot.Sequence, position + _capacity);
            Volatile.Write(ref _positions.Head, position + 1);
            return true;
        }

        private struct Slot
        {
            public long Sequence;
            public OtlpLogRecord Record;
            public KeyValue[]? Attributes;
        }

        /// <summary>The producers' next position and the consumer's, each alone on its cache line.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 3 * CacheLine)]
        private struct Positions
        {
            [FieldOffset(CacheLine)]
            public long Tail;
            [FieldOffset(2 * CacheLine)]
            public long Head;
        }
    }
}
