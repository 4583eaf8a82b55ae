using System;
using System.Collections.Generic;
using System.Text.Json;
using OtelGen.Export.Otlp;
using OtelGen.Metrics;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>How histograms go out over OTLP (<c>OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION</c>).</summary>
public enum OtlpHistogramAggregation
{
    /// <summary><c>explicit_bucket_histogram</c>: the explicit bounds (the default).</summary>
    ExplicitBucket = 0,
    /// <summary><c>base2_exponential_bucket_histogram</c>: the exponential histogram (at most 160 buckets).</summary>
    Base2Exponential = 1,
}

/// <summary>
/// The OTLP export fold over a <see cref="MetricsSnapshot"/>: one <c>ExportMetricsServiceRequest</c>
/// (opentelemetry/proto/collector/metrics/v1), protobuf or JSON, with one <c>ScopeMetrics</c> per meter;
/// sums, gauges, explicit or exponential histograms, all cumulative (sums and histograms carry the series'
/// start, never after the point's time; gauges carry none), with exemplars that carry the trace
/// and span id of a recorded span. Uses the shared OTLP writers of <see cref="OtelGen.Export.Otlp"/>.
/// </summary>
internal sealed class OtlpMetricsEncoder
{
    // ExportMetricsServiceRequest / ResourceMetrics / ScopeMetrics
    private const int RequestResourceMetrics = 1, ResourceMetricsResource = 1, ResourceMetricsScopeMetrics = 2, ScopeMetricsScope = 1, ScopeMetricsMetrics = 2;
    // Metric
    private const int MetricName = 1, MetricDescription = 2, MetricUnit = 3, MetricGauge = 5, MetricSum = 7, MetricHistogram = 9, MetricExponentialHistogram = 10;
    // Gauge / Sum / Histogram / ExponentialHistogram
    private const int DataPoints = 1, AggregationTemporality = 2, SumIsMonotonic = 3;
    private const int Cumulative = 2;
    // NumberDataPoint
    private const int NumberAttributes = 7, NumberStart = 2, NumberTime = 3, NumberAsDouble = 4, NumberExemplars = 5, NumberAsInt = 6;
    // HistogramDataPoint
    private const int HistAttributes = 9, HistStart = 2, HistTime = 3, HistCount = 4, HistSum = 5, HistBucketCounts = 6, HistBounds = 7, HistExemplars = 8, HistMin = 11, HistMax = 12;
    // ExponentialHistogramDataPoint and its Buckets
    private const int ExpAttributes = 1, ExpStart = 2, ExpTime = 3, ExpCount = 4, ExpSum = 5, ExpScale = 6, ExpZeroCount = 7, ExpPositive = 8, ExpNegative = 9,
        ExpExemplars = 11, ExpMin = 12, ExpMax = 13, BucketsOffset = 1, BucketsCounts = 2;
    // Exemplar
    private const int ExemplarTime = 2, ExemplarAsDouble = 3, ExemplarSpanId = 4, ExemplarTraceId = 5;

    private readonly OtlpResource _resource;
    private readonly ProtobufWriter _protobuf = new(new PooledBuffer(256));
    private Utf8JsonWriter? _json;

    /// <summary>An encoder for metrics of <paramref name="resource"/>.</summary>
    public OtlpMetricsEncoder(OtlpResource resource, OtlpHistogramAggregation histograms = OtlpHistogramAggregation.ExplicitBucket)
    {
        _resource = resource ?? throw new ArgumentNullException(nameof(resource));
        Histograms = histograms;
    }

    /// <summary>How histograms are sent.</summary>
    public OtlpHistogramAggregation Histograms { get; }

    /// <summary>Appends the request for <paramref name="snapshot"/> to <paramref name="output"/> in <paramref name="protocol"/>'s encoding.</summary>
    public void Encode(MetricsSnapshot snapshot, PooledBuffer output, OtlpProtocol protocol)
    {
        if (protocol == OtlpProtocol.HttpJson)
        {
            EncodeJson(snapshot, output);
        }
        else
        {
            EncodeProtobuf(snapshot, output);
        }
    }

    /// <summary>Appends a protobuf <c>ExportMetricsServiceRequest</c>.</summary>
    public void EncodeProtobuf(MetricsSnapshot snapshot, PooledBuffer output)
    {
        ProtobufWriter w = _protobuf;
        w.Reset(output);
        w.BeginMessage(RequestResourceMetrics, 3);
        OtlpProtobuf.WriteResource(w, ResourceMetricsResource, _resource);
        foreach (List<MetricData> scope in ByScope(snapshot))
        {
            w.BeginMessage(ResourceMetricsScopeMetrics, 3);
            OtlpProtobuf.WriteScope(w, ScopeMetricsScope, scope[0].MeterName, scope[0].MeterVersion);
            foreach (MetricData metric in scope)
            {
                WriteMetric(w, metric, snapshot.TimeUnixNano);
            }
            w.EndMessage();
        }
        w.EndMessage();
    }

    /// <summary>Appends an OTLP/JSON <c>ExportMetricsServiceRequest</c> (one line).</summary>
    public void EncodeJson(MetricsSnapshot snapshot, PooledBuffer output)
    {
        Utf8JsonWriter json = _json ??= new Utf8JsonWriter(output, OtlpJsonWriter.Options);
        json.Reset(output);
        json.WriteStartObject();
        json.WriteStartArray(OtlpJsonFields.ResourceMetrics);
        json.WriteStartObject();
        OtlpJsonWriter.WriteResource(json, OtlpJsonFields.Resource, _resource);
        json.WriteStartArray(OtlpJsonFields.ScopeMetrics);
        foreach (List<MetricData> scope in ByScope(snapshot))
        {
            json.WriteStartObject();
            OtlpJsonWriter.WriteScope(json, OtlpJsonFields.Scope, scope[0].MeterName, scope[0].MeterVersion);
            json.WriteStartArray(OtlpJsonFields.Metrics);
            foreach (MetricData metric in scope)
            {
                WriteMetric(json, metric, snapshot.TimeUnixNano);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
    }

    private static List<List<MetricData>> ByScope(MetricsSnapshot snapshot)
    {
        // The snapshot is ordered by meter name; meters of one name but different versions are separate scopes.
        var scopes = new List<List<MetricData>>();
        foreach (MetricData metric in snapshot.Metrics)
        {
            if (metric.Points.Count == 0)
            {
                continue;
            }
            List<MetricData>? scope = scopes.Find(s => s[0].MeterName == metric.MeterName && s[0].MeterVersion == metric.MeterVersion);
            if (scope is null)
            {
                scopes.Add(scope = new List<MetricData>());
            }
            scope.Add(metric);
        }
        return scopes;
    }

    /// <summary>A tag value as an OTLP attribute value.</summary>
    public static AttributeValue ToAttributeValue(object? value) => value switch
    {
        null => AttributeValue.Of(string.Empty),
        string s => AttributeValue.Of(s),
        bool b => AttributeValue.Of(b),
        long l => AttributeValue.Of(l),
        int i => AttributeValue.Of((long)i),
        short s => AttributeValue.Of((long)s),
        byte b => AttributeValue.Of((long)b),
        uint u => AttributeValue.Of((long)u),
        double d => AttributeValue.Of(d),
        float f => AttributeValue.Of((double)f),
        string[] a => AttributeValue.Of(a),
        long[] a => AttributeValue.Of(a),
        double[] a => AttributeValue.Of(a),
        bool[] a => AttributeValue.Of(a),
        IFormattable f => AttributeValue.Of(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)),
        _ => AttributeValue.Of(value.ToString()),
    };

    /// <summary>
    /// A cumulative point's <c>start_time_unix_nano</c>: when its series started, never after the point's time
    /// (the OTLP data model). The collector stamps its snapshot after copying every series, so this only
    /// guards a snapshot made some other way, or a clock replaced by a test (<see cref="SpanClock.UseManualClock"/>).
    /// </summary>
    private static long StartOf(MetricDataPoint point, long now) => Math.Min(point.StartUnixNano, now);

    private static void WriteTags(ProtobufWriter w, int field, IReadOnlyList<KeyValuePair<string, object?>> tags)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            OtlpProtobuf.WriteKeyValue(w, field, new KeyValue(tag.Key, ToAttributeValue(tag.Value)));
        }
    }

    private void WriteMetric(ProtobufWriter w, MetricData metric, long now)
    {
        w.BeginMessage(ScopeMetricsMetrics, 2);
        w.WriteString(MetricName, metric.Name);
        if (!string.IsNullOrEmpty(metric.Description))
        {
            w.WriteString(MetricDescription, metric.Description);
        }
        if (!string.IsNullOrEmpty(metric.Unit))
        {
            w.WriteString(MetricUnit, metric.Unit);
        }
        switch (metric.Kind)
        {
            case MetricKind.Sum:
                w.BeginMessage(MetricSum, 2);
                WriteNumberPoints(w, metric, now, withStart: true);
                w.WriteEnum(AggregationTemporality, Cumulative);
                w.WriteBool(SumIsMonotonic, metric.IsMonotonic);
                w.EndMessage();
                break;
            case MetricKind.Gauge:
                w.BeginMessage(MetricGauge, 2);
                WriteNumberPoints(w, metric, now, withStart: false);
                w.EndMessage();
                break;
            default:
                bool exponential = Histograms == OtlpHistogramAggregation.Base2Exponential;
                w.BeginMessage(exponential ? MetricExponentialHistogram : MetricHistogram, 2);
                foreach (MetricDataPoint point in metric.Points)
                {
                    if (exponential)
                    {
                        WriteExponentialPoint(w, point, now);
                    }
                    else
                    {
                        WriteHistogramPoint(w, point, now);
                    }
                }
                w.WriteEnum(AggregationTemporality, Cumulative);
                w.EndMessage();
                break;
        }
        w.EndMessage();
    }

    private static void WriteNumberPoints(ProtobufWriter w, MetricData metric, long now, bool withStart)
    {
        foreach (MetricDataPoint point in metric.Points)
        {
            w.BeginMessage(DataPoints, 1);
            WriteTags(w, NumberAttributes, point.Tags);
            if (withStart)
            {
                w.WriteFixed64(NumberStart, (ulong)StartOf(point, now));
            }
            w.WriteFixed64(NumberTime, (ulong)now);
            if (metric.IsInteger)
            {
                w.WriteFixed64(NumberAsInt, (ulong)point.LongValue); // sfixed64: same bytes
            }
            else
            {
                w.WriteDouble(NumberAsDouble, point.Value);
            }
            WriteExemplars(w, NumberExemplars, point.Exemplars);
            w.EndMessage();
        }
    }

    private static void WriteHistogramPoint(ProtobufWriter w, MetricDataPoint point, long now)
    {
        HistogramData h = point.Histogram!;
        w.BeginMessage(DataPoints, 2);
        WriteTags(w, HistAttributes, point.Tags);
        w.WriteFixed64(HistStart, (ulong)StartOf(point, now));
        w.WriteFixed64(HistTime, (ulong)now);
        w.WriteFixed64(HistCount, (ulong)h.Count);
        w.WriteDouble(HistSum, h.Sum);
        Span<ulong> counts = h.BucketCounts.Count <= 64 ? stackalloc ulong[h.BucketCounts.Count] : new ulong[h.BucketCounts.Count];
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = (ulong)h.BucketCounts[i];
        }
        w.WritePackedFixed64(HistBucketCounts, counts);
        Span<double> bounds = h.Bounds.Count <= 64 ? stackalloc double[h.Bounds.Count] : new double[h.Bounds.Count];
        for (int i = 0; i < bounds.Length; i++)
        {
            bounds[i] = h.Bounds[i];
        }
        w.WritePackedDoubles(HistBounds, bounds);
        WriteExemplars(w, HistExemplars, point.Exemplars);
        if (h.Count > 0)
        {
            w.WriteDouble(HistMin, h.Min);
            w.WriteDouble(HistMax, h.Max);
        }
        w.EndMessage();
    }

    private static void WriteExponentialPoint(ProtobufWriter w, MetricDataPoint point, long now)
    {
        Base2ExponentialHistogram e = point.Histogram!.Exponential;
        w.BeginMessage(DataPoints, 2);
        WriteTags(w, ExpAttributes, point.Tags);
        w.WriteFixed64(ExpStart, (ulong)StartOf(point, now));
        w.WriteFixed64(ExpTime, (ulong)now);
        w.WriteFixed64(ExpCount, (ulong)e.Count);
        w.WriteDouble(ExpSum, e.Sum);
        w.WriteSInt32(ExpScale, e.Scale);
        w.WriteFixed64(ExpZeroCount, (ulong)e.ZeroCount);
        WriteBuckets(w, ExpPositive, e, positive: true);
        WriteBuckets(w, ExpNegative, e, positive: false);
        WriteExemplars(w, ExpExemplars, point.Exemplars);
        if (e.Count > 0)
        {
            w.WriteDouble(ExpMin, e.Min);
            w.WriteDouble(ExpMax, e.Max);
        }
        w.EndMessage();
    }

    private static void WriteBuckets(ProtobufWriter w, int field, Base2ExponentialHistogram e, bool positive)
    {
        long[] counts = e.GetBucketCounts(positive, out int offset);
        if (counts.Length == 0)
        {
            return;
        }
        w.BeginMessage(field, 2);
        w.WriteSInt32(BucketsOffset, offset);
        var values = new ulong[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            values[i] = (ulong)counts[i];
        }
        w.WritePackedUInt64(BucketsCounts, values);
        w.EndMessage();
    }

    private static void WriteExemplars(ProtobufWriter w, int field, IReadOnlyList<Exemplar> exemplars)
    {
        Span<byte> id = stackalloc byte[16];
        foreach (Exemplar e in exemplars)
        {
            w.BeginMessage(field, 1);
            w.WriteFixed64(ExemplarTime, (ulong)e.TimeUnixNano);
            w.WriteDouble(ExemplarAsDouble, e.Value);
            e.SpanId.WriteBytes(id);
            w.WriteBytes(ExemplarSpanId, id.Slice(0, 8));
            e.TraceId.WriteBytes(id);
            w.WriteBytes(ExemplarTraceId, id);
            w.EndMessage();
        }
    }

    private void WriteMetric(Utf8JsonWriter json, MetricData metric, long now)
    {
        json.WriteStartObject();
        json.WriteString(OtlpJsonFields.Name, metric.Name);
        if (!string.IsNullOrEmpty(metric.Description))
        {
            json.WriteString(OtlpJsonFields.Description, metric.Description);
        }
        if (!string.IsNullOrEmpty(metric.Unit))
        {
            json.WriteString(OtlpJsonFields.Unit, metric.Unit);
        }
        bool exponential = Histograms == OtlpHistogramAggregation.Base2Exponential;
        json.WriteStartObject(metric.Kind switch
        {
            MetricKind.Sum => OtlpJsonFields.Sum,
            MetricKind.Gauge => OtlpJsonFields.Gauge,
            _ => exponential ? OtlpJsonFields.ExponentialHistogram : OtlpJsonFields.Histogram,
        });
        json.WriteStartArray(OtlpJsonFields.DataPoints);
        foreach (MetricDataPoint point in metric.Points)
        {
            json.WriteStartObject();
            WriteTags(json, point.Tags);
            if (metric.Kind != MetricKind.Gauge)
            {
                OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.StartTimeUnixNano, StartOf(point, now));
            }
            OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.TimeUnixNano, now);
            if (metric.Kind == MetricKind.Histogram)
            {
                if (exponential)
                {
                    WriteExponentialPoint(json, point.Histogram!.Exponential);
                }
                else
                {
                    WriteHistogramPoint(json, point.Histogram!);
                }
            }
            else if (metric.IsInteger)
            {
                OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.AsInt, point.LongValue);
            }
            else
            {
                OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.AsDouble, point.Value);
            }
            WriteExemplars(json, point.Exemplars);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (metric.Kind != MetricKind.Gauge)
        {
            json.WriteNumber(OtlpJsonFields.AggregationTemporality, Cumulative);
        }
        if (metric.Kind == MetricKind.Sum)
        {
            json.WriteBoolean(OtlpJsonFields.IsMonotonic, metric.IsMonotonic);
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteTags(Utf8JsonWriter json, IReadOnlyList<KeyValuePair<string, object?>> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }
        json.WriteStartArray(OtlpJsonFields.Attributes);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            OtlpJsonWriter.WriteKeyValue(json, new KeyValue(tag.Key, ToAttributeValue(tag.Value)));
        }
        json.WriteEndArray();
    }

    private static void WriteHistogramPoint(Utf8JsonWriter json, HistogramData h)
    {
        OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.Count, h.Count);
        OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.Sum, h.Sum);
        json.WriteStartArray(OtlpJsonFields.BucketCounts);
        foreach (long c in h.BucketCounts)
        {
            json.WriteStringValue(c.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        json.WriteEndArray();
        json.WriteStartArray(OtlpJsonFields.ExplicitBounds);
        foreach (double b in h.Bounds)
        {
            OtlpJsonWriter.WriteDoubleValue(json, b);
        }
        json.WriteEndArray();
        if (h.Count > 0)
        {
            OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.Min, h.Min);
            OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.Max, h.Max);
        }
    }

    private static void WriteExponentialPoint(Utf8JsonWriter json, Base2ExponentialHistogram e)
    {
        OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.Count, e.Count);
        OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.Sum, e.Sum);
        json.WriteNumber(OtlpJsonFields.Scale, e.Scale);
        OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.ZeroCount, e.ZeroCount);
        foreach (bool positive in new[] { true, false })
        {
            long[] counts = e.GetBucketCounts(positive, out int offset);
            if (counts.Length == 0)
            {
                continue;
            }
            json.WriteStartObject(positive ? OtlpJsonFields.Positive : OtlpJsonFields.Negative);
            json.WriteNumber(OtlpJsonFields.Offset, offset);
            json.WriteStartArray(OtlpJsonFields.BucketCounts);
            foreach (long c in counts)
            {
                json.WriteStringValue(c.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        if (e.Count > 0)
        {
            OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.Min, e.Min);
            OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.Max, e.Max);
        }
    }

    private static void WriteExemplars(Utf8JsonWriter json, IReadOnlyList<Exemplar> exemplars)
    {
        if (exemplars.Count == 0)
        {
            return;
        }
        json.WriteStartArray(OtlpJsonFields.Exemplars);
        foreach (Exemplar e in exemplars)
        {
            json.WriteStartObject();
            OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.TimeUnixNano, e.TimeUnixNano);
            OtlpJsonWriter.WriteDouble(json, OtlpJsonFields.AsDouble, e.Value);
            OtlpJsonWriter.WriteSpanId(json, OtlpJsonFields.SpanId, e.SpanId);
            OtlpJsonWriter.WriteTraceId(json, OtlpJsonFields.TraceId, e.TraceId);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
