using System;
using System.Collections.Generic;
using OtelGen.Spans;

namespace OtelGen.Metrics;

/// <summary>What kind of data a metric holds (the OTLP <c>Metric.data</c> case).</summary>
public enum MetricKind : byte
{
    /// <summary>A sum: from a counter (monotonic) or an up-down counter.</summary>
    Sum,
    /// <summary>The last value observed.</summary>
    Gauge,
    /// <summary>A distribution: explicit buckets and a base-2 exponential histogram of the same values.</summary>
    Histogram,
}

/// <summary>A measurement kept with a metric point because a sampled span was current when it was recorded.</summary>
public readonly struct Exemplar
{
    /// <summary>Makes an exemplar.</summary>
    public Exemplar(long timeUnixNano, double value, TraceId traceId, SpanId spanId)
    {
        TimeUnixNano = timeUnixNano;
        Value = value;
        TraceId = traceId;
        SpanId = spanId;
    }

    /// <summary>When it was recorded, Unix nanoseconds.</summary>
    public long TimeUnixNano { get; }
    /// <summary>The measured value.</summary>
    public double Value { get; }
    /// <summary>The trace of the span current at record time.</summary>
    public TraceId TraceId { get; }
    /// <summary>That span.</summary>
    public SpanId SpanId { get; }
    /// <summary>False for an empty slot.</summary>
    public bool IsValid => TraceId.IsValid;
}

/// <summary>A histogram point's data: explicit buckets and the exponential histogram of the same values.</summary>
public sealed class HistogramData
{
    internal HistogramData(double[] bounds, long[] bucketCounts, Base2ExponentialHistogram exponential)
    {
        Bounds = bounds;
        BucketCounts = bucketCounts;
        Exponential = exponential;
    }

    /// <summary>Explicit bucket upper bounds, ascending (bucket i holds (bounds[i-1], bounds[i]]).</summary>
    public IReadOnlyList<double> Bounds { get; }
    /// <summary>Counts per explicit bucket, not cumulative; one more than <see cref="Bounds"/> (the last is above every bound).</summary>
    public IReadOnlyList<long> BucketCounts { get; }
    /// <summary>The exponential histogram (a copy).</summary>
    public Base2ExponentialHistogram Exponential { get; }
    /// <summary>How many values.</summary>
    public long Count => Exponential.Count;
    /// <summary>Their sum.</summary>
    public double Sum => Exponential.Sum;
    /// <summary>The smallest value.</summary>
    public double Min => Exponential.Min;
    /// <summary>The largest value.</summary>
    public double Max => Exponential.Max;
}

/// <summary>One time series of a metric: its attributes and its cumulative value.</summary>
public sealed class MetricDataPoint
{
    internal MetricDataPoint(KeyValuePair<string, object?>[] tags, long startUnixNano, double value, long longValue, HistogramData? histogram, Exemplar[] exemplars)
    {
        Tags = tags;
        StartUnixNano = startUnixNano;
        Value = value;
        LongValue = longValue;
        Histogram = histogram;
        Exemplars = exemplars;
    }

    /// <summary>The attributes, sorted by key.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Tags { get; }
    /// <summary>When the series started (cumulative temporality), Unix nanoseconds.</summary>
    public long StartUnixNano { get; }
    /// <summary>The sum or gauge value (also set for integer metrics).</summary>
    public double Value { get; }
    /// <summary>The exact value of an integer sum or gauge.</summary>
    public long LongValue { get; }
    /// <summary>The distribution, for <see cref="MetricKind.Histogram"/>.</summary>
    public HistogramData? Histogram { get; }
    /// <summary>Exemplars: for a histogram, the latest per explicit bucket; for a sum, the latest.</summary>
    public IReadOnlyList<Exemplar> Exemplars { get; }
}

/// <summary>One instrument's data.</summary>
public sealed class MetricData
{
    internal MetricData(string meterName, string? meterVersion, string name, string? unit, string? description, MetricKind kind, bool isMonotonic, bool isInteger, IReadOnlyList<MetricDataPoint> points)
    {
        MeterName = meterName;
        MeterVersion = meterVersion;
        Name = name;
        Unit = unit;
        Description = description;
        Kind = kind;
        IsMonotonic = isMonotonic;
        IsInteger = isInteger;
        Points = points;
    }

    /// <summary>The meter (instrumentation scope) name.</summary>
    public string MeterName { get; }
    /// <summary>The meter version.</summary>
    public string? MeterVersion { get; }
    /// <summary>The instrument name, e.g. <c>http.server.request.duration</c>.</summary>
    public string Name { get; }
    /// <summary>The UCUM unit, e.g. <c>s</c>.</summary>
    public string? Unit { get; }
    /// <summary>The description.</summary>
    public string? Description { get; }
    /// <summary>Sum, gauge or histogram.</summary>
    public MetricKind Kind { get; }
    /// <summary>For sums: true for counters, false for up-down counters.</summary>
    public bool IsMonotonic { get; }
    /// <summary>True when the instrument measures integers.</summary>
    public bool IsInteger { get; }
    /// <summary>The time series.</summary>
    public IReadOnlyList<MetricDataPoint> Points { get; }
}

/// <summary>Every metric the collector holds at one moment; cumulative since each series started.</summary>
public sealed class MetricsSnapshot
{
    internal MetricsSnapshot(long timeUnixNano, IReadOnlyList<MetricData> metrics)
    {
        TimeUnixNano = timeUnixNano;
        Metrics = metrics;
    }

    /// <summary>When the snapshot was taken, Unix nanoseconds: read after every series was copied, so no point started later.</summary>
    public long TimeUnixNano { get; }
    /// <summary>The metrics, ordered by meter then name.</summary>
    public IReadOnlyList<MetricData> Metrics { get; }

    /// <summary>The metric named <paramref name="name"/> (first meter that has it), or null.</summary>
    public MetricData? Find(string name)
    {
        foreach (MetricData metric in Metrics)
        {
            if (metric.Name == name)
            {
                return metric;
            }
        }
        return null;
    }
}
