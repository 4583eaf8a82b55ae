using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Metrics;

/// <summary>Which instruments a <see cref="MetricsCollector"/> listens to, and how it buckets histograms.</summary>
public sealed class MetricsCollectorOptions
{
    /// <summary>Upper bounds for histograms in seconds (the semantic conventions' advice for durations).</summary>
    public static readonly IReadOnlyList<double> SecondsBounds = new[] { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10 };

    /// <summary>Upper bounds for other histograms (the OpenTelemetry SDK default).</summary>
    public static readonly IReadOnlyList<double> DefaultBounds = new double[] { 0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000 };

    /// <summary>Which instruments to collect; null collects every instrument of every meter.</summary>
    public Func<Instrument, bool>? Filter { get; set; }

    /// <summary>Explicit bucket bounds for an instrument; null (or a null answer) uses <see cref="SecondsBounds"/> for unit <c>s</c>, else <see cref="DefaultBounds"/>.</summary>
    public Func<Instrument, IReadOnlyList<double>?>? HistogramBounds { get; set; }

    /// <summary>At most this many series per instrument; further tag sets go to one series tagged <c>otel.metric.overflow=true</c>.</summary>
    public int MaxSeriesPerInstrument { get; set; } = 2000;

    /// <summary>Only OtelGen's own meter (<see cref="RuntimeMetrics.MeterName"/>).</summary>
    public static MetricsCollectorOptions OtelGenOnly() => new() { Filter = static i => i.Meter.Name == RuntimeMetrics.MeterName };

    /// <summary>OtelGen's meter plus the named ones (<c>*</c>: every meter).</summary>
    public static MetricsCollectorOptions ForMeters(IEnumerable<string> meters)
    {
        var names = new HashSet<string>(meters, StringComparer.Ordinal) { RuntimeMetrics.MeterName };
        bool all = names.Contains("*");
        return new() { Filter = i => all || names.Contains(i.Meter.Name) };
    }

    /// <summary>
    /// OtelGen's meter plus the application's meters named in <c>OTELGEN_METRICS_METERS</c> (comma
    /// separated, <c>*</c> for every meter): the one knob for both the Prometheus page and OTLP metrics.
    /// </summary>
    public static MetricsCollectorOptions FromEnvironment() => ForMeters(MetersFromEnvironment());

    /// <summary>The meter names in <c>OTELGEN_METRICS_METERS</c>.</summary>
    public static IReadOnlyList<string> MetersFromEnvironment() =>
        (OtelGen.Configuration.EnvironmentSettings.Get("OTELGEN_METRICS_METERS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Listens to <see cref="System.Diagnostics.Metrics"/> instruments (OtelGen's and, by default, every
/// other meter) through a <see cref="MeterListener"/> and aggregates them, cumulatively, into series:
/// sums, last values, and histograms (explicit buckets plus a base-2 exponential histogram) with
/// exemplars that carry the trace and span id of the OtelGen span current at record time.
/// <see cref="Collect"/> takes a <see cref="MetricsSnapshot"/>, which the Prometheus page and the OTLP
/// encoder fold over. Recording an existing series allocates nothing and takes no lock, except that a
/// histogram series is guarded by a spin flag while its buckets change.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private static MetricsCollector? s_shared;

    private readonly MetricsCollectorOptions _options;
    private readonly MeterListener _listener;
    private readonly List<InstrumentStream> _streams = new();
    private readonly object _streamsLock = new();
    private bool _disposed;

    /// <summary>Starts listening. Instruments published earlier are picked up too.</summary>
    public MetricsCollector(MetricsCollectorOptions? options = null)
    {
        _options = options ?? new MetricsCollectorOptions();
        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = OnMeasurementsCompleted,
        };
        _listener.SetMeasurementEventCallback<double>(static (i, v, t, s) => ((InstrumentStream)s!).Record(v, (long)v, t));
        _listener.SetMeasurementEventCallback<float>(static (i, v, t, s) => ((InstrumentStream)s!).Record(v, (long)v, t));
        _listener.SetMeasurementEventCallback<decimal>(static (i, v, t, s) => ((InstrumentStream)s!).Record((double)v, 0, t));
        _listener.SetMeasurementEventCallback<long>(static (i, v, t, s) => ((InstrumentStream)s!).Record(v, v, t));
        _listener.SetMeasurementEventCallback<int>(static (i, v, t, s) => ((InstrumentStream)s!).Record(v, v, t));
        _listener.SetMeasurementEventCallback<short>(static (i, v, t, s) => ((InstrumentStream)s!).Record(v, v, t));
        _listener.SetMeasurementEventCallback<byte>(static (i, v, t, s) => ((InstrumentStream)s!).Record(v, v, t));
        _listener.Start();
    }

    /// <summary>
    /// A process-wide collector of every meter, made on first use: what the Prometheus page and the
    /// OTLP metrics exporter read by default.
    /// </summary>
    public static MetricsCollector Shared
    {
        get
        {
            MetricsCollector? shared = Volatile.Read(ref s_shared);
            if (shared is not null)
            {
                return shared;
            }
            var made = new MetricsCollector();
            if (Interlocked.CompareExchange(ref s_shared, made, null) is { } other)
            {
                made.Dispose();
                return other;
            }
            return made;
        }
    }

    /// <summary>Reads the observable instruments and copies every series.</summary>
    /// <remarks>
    /// The snapshot's time is read last, after the observable callbacks ran and every series was copied:
    /// a series made during the collect (an observable instrument's first observation, or a measurement
    /// with new tags recorded meanwhile) then starts no later than the time its points are sent with.
    /// </remarks>
    public MetricsSnapshot Collect()
    {
        if (_disposed)
        {
            return new MetricsSnapshot(SpanClock.NowUnixNanos(), Array.Empty<MetricData>());
        }
        try
        {
            _listener.RecordObservableInstruments();
        }
        catch (Exception e)
        {
            // A user's observable callback failed: report it once and carry on with the rest.
            OtelGen.Configuration.Diagnostics.Warn("An observable instrument's callback threw: " + e.GetType().Name + ": " + e.Message);
        }
        InstrumentStream[] streams;
        lock (_streamsLock)
        {
            streams = _streams.ToArray();
        }
        var metrics = new List<MetricData>(streams.Length);
        foreach (InstrumentStream stream in streams)
        {
            MetricData? data = stream.Snapshot();
            if (data is not null)
            {
                metrics.Add(data);
            }
        }
        metrics.Sort(static (a, b) =>
        {
            int c = string.CompareOrdinal(a.MeterName, b.MeterName);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        // Read after every series was copied (see the remarks): no series copied here started later.
        return new MetricsSnapshot(SpanClock.NowUnixNanos(), metrics);
    }

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
        Interlocked.CompareExchange(ref s_shared, null, this);
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        try
        {
            if (_options.Filter is { } filter && !filter(instrument))
            {
                return;
            }
            string type = instrument.GetType().Name;
            MetricKind kind;
            bool monotonic = false, cumulativeObservation = false;
            if (type.StartsWith("Counter`", StringComparison.Ordinal))
            {
                kind = MetricKind.Sum;
                monotonic = true;
            }
            else if (type.StartsWith("UpDownCounter`", StringComparison.Ordinal))
            {
                kind = MetricKind.Sum;
            }
            else if (type.StartsWith("ObservableCounter`", StringComparison.Ordinal))
            {
                kind = MetricKind.Sum;
                monotonic = true;
                cumulativeObservation = true;
            }
            else if (type.StartsWith("ObservableUpDownCounter`", StringComparison.Ordinal))
            {
                kind = MetricKind.Sum;
                cumulativeObservation = true;
            }
            else if (type.StartsWith("Histogram`", StringComparison.Ordinal))
            {
                kind = MetricKind.Histogram;
            }
            else if (type.StartsWith("Gauge`", StringComparison.Ordinal) || type.StartsWith("ObservableGauge`", StringComparison.Ordinal))
            {
                kind = MetricKind.Gauge;
            }
            else
            {
                return;
            }
            Type? valueType = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericArguments()[0] : null;
            bool integer = valueType == typeof(long) || valueType == typeof(int) || valueType == typeof(short) || valueType == typeof(byte);
            IReadOnlyList<double>? bounds = null;
            if (kind == MetricKind.Histogram)
            {
                bounds = _options.HistogramBounds?.Invoke(instrument)
                    ?? (instrument.Unit == "s" ? MetricsCollectorOptions.SecondsBounds : MetricsCollectorOptions.DefaultBounds);
            }
            var stream = new InstrumentStream(instrument, kind, monotonic, integer, cumulativeObservation, bounds, Math.Max(1, _options.MaxSeriesPerInstrument));
            lock (_streamsLock)
            {
                _streams.Add(stream);
            }
            listener.EnableMeasurementEvents(instrument, stream);
        }
        catch (Exception e)
        {
            OtelGen.Configuration.Diagnostics.Warn("Could not collect instrument " + instrument.Name + ": " + e.Message);
        }
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        // The instrument (or its meter) was disposed: its last values stay out of later snapshots.
        lock (_streamsLock)
        {
            _streams.Remove((InstrumentStream)state!);
        }
    }

    /// <summary>The span an exemplar points at: the span being ended by the live hook, else the current one.</summary>
    internal static bool TryGetExemplarSpan(out TraceId traceId, out SpanId spanId)
    {
        if (RuntimeMetrics.EndingSpan is { } ending)
        {
            traceId = ending.TraceId;
            spanId = ending.SpanId;
            return ending.IsSampled;
        }
        SpanContext current = AmbientContext.CurrentContext(out _);
        traceId = current.TraceId;
        spanId = current.SpanId;
        return current.IsValid && current.IsSampled;
    }

    /// <summary>The series of one instrument.</summary>
    private sealed class InstrumentStream
    {
        private readonly Instrument _instrument;
        private readonly MetricKind _kind;
        private readonly bool _monotonic;
        private readonly bool _integer;
        private readonly bool _cumulativeObservation;
        private readonly double[]? _bounds;
        private readonly int _maxSeries;
        private readonly object _addLock = new();
        private Series[] _series = Array.Empty<Series>();

        public InstrumentStream(Instrument instrument, MetricKind kind, bool monotonic, bool integer, bool cumulativeObservation, IReadOnlyList<double>? bounds, int maxSeries)
        {
            _instrument = instrument;
            _kind = kind;
            _monotonic = monotonic;
            _integer = integer;
            _cumulativeObservation = cumulativeObservation;
            if (bounds is not null)
            {
                _bounds = new double[bounds.Count];
                for (int i = 0; i < _bounds.Length; i++)
                {
                    _bounds[i] = bounds[i];
                }
                Array.Sort(_bounds);
            }
            _maxSeries = maxSeries;
        }

        public void Record(double value, long longValue, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            try
            {
                Series series = Find(tags);
                switch (_kind)
                {
                    case MetricKind.Sum when _cumulativeObservation:
                        series.Set(value, longValue);
                        break;
                    case MetricKind.Sum:
                        series.Add(value, longValue);
                        break;
                    case MetricKind.Gauge:
                        series.Set(value, longValue);
                        break;
                    default:
                        series.RecordHistogram(value, _bounds!);
                        break;
                }
            }
            catch
            {
                // Telemetry never throws into the application.
            }
        }

        private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            int hash = Series.Hash(tags);
            Series[] all = Volatile.Read(ref _series);
            foreach (Series s in all)
            {
                if (s.HashCode == hash && s.Matches(tags))
                {
                    return s;
                }
            }
            lock (_addLock)
            {
                all = _series;
                foreach (Series s in all)
                {
                    if (s.HashCode == hash && s.Matches(tags))
                    {
                        return s;
                    }
                }
                Series made;
                if (all.Length >= _maxSeries)
                {
                    ReadOnlySpan<KeyValuePair<string, object?>> overflow = new[] { new KeyValuePair<string, object?>("otel.metric.overflow", true) };
                    int overflowHash = Series.Hash(overflow);
                    foreach (Series s in all)
                    {
                        if (s.HashCode == overflowHash && s.Matches(overflow))
                        {
                            return s;
                        }
                    }
                    made = new Series(overflow, overflowHash, _bounds);
                }
                else
                {
                    made = new Series(tags, hash, _bounds);
                }
                var grown = new Series[all.Length + 1];
                Array.Copy(all, grown, all.Length);
                grown[all.Length] = made;
                Volatile.Write(ref _series, grown);
                return made;
            }
        }

        public MetricData? Snapshot()
        {
            Series[] all = Volatile.Read(ref _series);
            var points = new List<MetricDataPoint>(all.Length);
            foreach (Series s in all)
            {
                points.Add(s.ToPoint(_kind, _bounds));
            }
            points.Sort(static (a, b) => string.CompareOrdinal(TagKey(a), TagKey(b)));
            return new MetricData(_instrument.Meter.Name, _instrument.Meter.Version, _instrument.Name, _instrument.Unit, _instrument.Description,
                _kind, _monotonic, _integer, points);
        }

        private static string TagKey(MetricDataPoint point)
        {
            var parts = new string[point.Tags.Count];
            for (int i = 0; i < parts.Length; i++)
            {
                parts[i] = point.Tags[i].Key + "=" + point.Tags[i].Value;
            }
            return string.Join("\u0001", parts);
        }
    }

    /// <summary>One time series: a tag set and its running aggregate.</summary>
    private sealed class Series
    {
        private readonly KeyValuePair<string, object?>[] _tags;
        private readonly long _start = SpanClock.NowUnixNanos();
        private double _value;
        private long _long;
        private int _busy;
        private readonly long[]? _bucketCounts;
        private readonly Base2ExponentialHistogram? _exponential;
        private readonly Exemplar[] _exemplars;

        public Series(ReadOnlySpan<KeyValuePair<string, object?>> tags, int hash, double[]? bounds)
        {
            _tags = tags.ToArray();
            Array.Sort(_tags, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            HashCode = hash;
            if (bounds is not null)
            {
                _bucketCounts = new long[bounds.Length + 1];
                _exponential = new Base2ExponentialHistogram();
                _exemplars = new Exemplar[bounds.Length + 1];
            }
            else
            {
                _exemplars = new Exemplar[1];
            }
        }

        public int HashCode { get; }

        // Order-independent, so the same tags in another order find the same series.
        public static int Hash(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            int hash = tags.Length;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                hash += (tag.Key?.GetHashCode() ?? 0) ^ (tag.Value?.GetHashCode() ?? 0) * 31;
            }
            return hash;
        }

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != _tags.Length)
            {
                return false;
            }
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                bool found = false;
                foreach (KeyValuePair<string, object?> mine in _tags)
                {
                    if (mine.Key == tag.Key)
                    {
                        found = Equals(mine.Value, tag.Value);
                        break;
                    }
                }
                if (!found)
                {
                    return false;
                }
            }
            return true;
        }

        public void Add(double value, long longValue)
        {
            Interlocked.Add(ref _long, longValue);
            double seen = Volatile.Read(ref _value);
            while (true)
            {
                double was = Interlocked.CompareExchange(ref _value, seen + value, seen);
                if (was.Equals(seen))
                {
                    break;
                }
                seen = was;
            }
            KeepExemplar(0, value);
        }

        public void Set(double value, long longValue)
        {
            Volatile.Write(ref _long, longValue);
            Volatile.Write(ref _value, value);
        }

        public void RecordHistogram(double value, double[] bounds)
        {
            int bucket = Array.BinarySearch(bounds, value);
            if (bucket < 0)
            {
                bucket = ~bucket; // first bound above: buckets are upper-inclusive
            }
            bool exemplar = TryGetExemplarSpan(out TraceId traceId, out SpanId spanId);
            Enter();
            try
            {
                _bucketCounts![bucket]++;
                _exponential!.Record(value);
                if (exemplar)
                {
                    _exemplars[bucket] = new Exemplar(SpanClock.NowUnixNanos(), value, traceId, spanId);
                }
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        private void KeepExemplar(int slot, double value)
        {
            if (!TryGetExemplarSpan(out TraceId traceId, out SpanId spanId))
            {
                return;
            }
            Enter();
            _exemplars[slot] = new Exemplar(SpanClock.NowUnixNanos(), value, traceId, spanId);
            Volatile.Write(ref _busy, 0);
        }

        private void Enter()
        {
            if (Interlocked.CompareExchange(ref _busy, 1, 0) == 0)
            {
                return;
            }
            var spin = new SpinWait();
            while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            {
                spin.SpinOnce();
            }
        }

        public MetricDataPoint ToPoint(MetricKind kind, double[]? bounds)
        {
            HistogramData? histogram = null;
            var exemplars = new List<Exemplar>(1);
            Enter();
            try
            {
                if (kind == MetricKind.Histogram)
                {
                    histogram = new HistogramData((double[])bounds!.Clone(), (long[])_bucketCounts!.Clone(), _exponential!.Clone());
                }
                foreach (Exemplar e in _exemplars)
                {
                    if (e.IsValid)
                    {
                        exemplars.Add(e);
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
            return new MetricDataPoint(_tags, _start, Volatile.Read(ref _value), Volatile.Read(ref _long), histogram, exemplars.ToArray());
        }
    }
}
