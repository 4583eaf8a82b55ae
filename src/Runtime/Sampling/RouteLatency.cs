using System;
using System.Collections.Generic;

namespace OtelGen.Sampling;

/// <summary>
/// A running latency distribution for one route: a base-2 exponential histogram with 8 buckets per
/// doubling (each bucket about 9% wide) over the most recent one to two windows of samples. Two
/// generations rotate: when the current one fills, it becomes the previous one and a fresh one starts,
/// so old behaviour fades without a clock. Quantiles are bucket upper bounds: a duration is "slower
/// than p99" only when it lies in a higher bucket than the 99th-percentile sample.
/// </summary>
internal sealed class RouteLatency
{
    private const int BucketsPerDoubling = 8;
    // 2^47 ns is about 39 hours: longer durations share the last bucket.
    private const int BucketCount = 47 * BucketsPerDoubling;

    private int[] _current = new int[BucketCount];
    private int[] _previous = new int[BucketCount];
    private int _currentCount;
    private int _previousCount;
    private readonly int _window;

    /// <summary>Makes an estimator that remembers the last <paramref name="window"/> to 2×<paramref name="window"/> samples.</summary>
    public RouteLatency(int window = 1024)
    {
        if (window < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "The window holds at least one sample.");
        }
        _window = window;
    }

    /// <summary>How many samples the estimate rests on.</summary>
    public int Count => _currentCount + _previousCount;

    /// <summary>Adds a duration in nanoseconds.</summary>
    public void Add(long nanos)
    {
        if (_currentCount == _window)
        {
            (_previous, _current) = (_current, _previous);
            Array.Clear(_current, 0, _current.Length);
            _previousCount = _currentCount;
            _currentCount = 0;
        }
        _current[BucketOf(nanos)]++;
        _currentCount++;
    }

    /// <summary>
    /// The upper bound, in nanoseconds, of the bucket holding the <paramref name="quantile"/> sample
    /// (e.g. 0.99): the smallest duration that lies in a higher bucket, so "slower than the quantile"
    /// is <c>duration &gt;= Quantile(q)</c>. <see cref="long.MaxValue"/> when there are no samples.
    /// </summary>
    public long Quantile(double quantile)
    {
        int count = Count;
        if (count == 0)
        {
            return long.MaxValue;
        }
        long rank = Math.Max(1, (long)Math.Ceiling(quantile * count));
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _current[i] + _previous[i];
            if (seen >= rank)
            {
                return UpperBound(i);
            }
        }
        return long.MaxValue;
    }

    /// <summary>The bucket a duration falls in.</summary>
    internal static int BucketOf(long nanos)
    {
        if (nanos <= 1)
        {
            return 0;
        }
        int index = (int)(Math.Log2(nanos) * BucketsPerDoubling);
        return Math.Min(index, BucketCount - 1);
    }

    /// <summary>The smallest duration above bucket <paramref name="index"/>.</summary>
    internal static long UpperBound(int index) =>
        index >= BucketCount - 1 ? long.MaxValue : (long)Math.Ceiling(Math.Pow(2, (index + 1) / (double)BucketsPerDoubling));
}

/// <summary>Running latency per route, for the p95/p99 tail policies: bounded in routes, one estimator each.</summary>
internal sealed class RouteLatencies
{
    private readonly Dictionary<string, RouteLatency> _routes = new(StringComparer.Ordinal);
    private readonly int _maxRoutes;
    private readonly int _window;
    private readonly RouteLatency _overflow;

    public RouteLatencies(int maxRoutes, int window)
    {
        _maxRoutes = maxRoutes;
        _window = window;
        _overflow = new RouteLatency(window);
    }

    /// <summary>Routes past the limit share one estimator, so a high-cardinality name cannot grow memory.</summary>
    public RouteLatency For(string route)
    {
        if (_routes.TryGetValue(route, out RouteLatency? latency))
        {
            return latency;
        }
        if (_routes.Count >= _maxRoutes)
        {
            return _overflow;
        }
        latency = new RouteLatency(_window);
        _routes.Add(route, latency);
        return latency;
    }

    public int RouteCount => _routes.Count;
}
