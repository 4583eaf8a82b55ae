using System;
using System.Collections.Generic;
using System.Diagnostics;
using OtelGen.Metrics;
using OtelGen.Spans;

namespace OtelGen.Folds;

/// <summary>Request count, errors and latency of one route (or one entry span name).</summary>
public sealed class RouteStats
{
    internal RouteStats(string route, string? method)
    {
        Route = route;
        Method = method;
    }

    /// <summary>The <c>http.route</c>, or the span name of a non-HTTP entry span.</summary>
    public string Route { get; }

    /// <summary>The <c>http.request.method</c> of the first request seen (null for non-HTTP).</summary>
    public string? Method { get; }

    /// <summary>How many requests.</summary>
    public long Count => Latency.Count;

    /// <summary>How many ended with status ERROR (not counting requests the client aborted).</summary>
    public long ErrorCount { get; internal set; }

    /// <summary>Latency in seconds.</summary>
    public Base2ExponentialHistogram Latency { get; } = new();

    /// <summary>Median latency, seconds.</summary>
    public double P50 => Latency.Quantile(0.50);

    /// <summary>95th percentile latency, seconds.</summary>
    public double P95 => Latency.Quantile(0.95);

    /// <summary>99th percentile latency, seconds.</summary>
    public double P99 => Latency.Quantile(0.99);
}

/// <summary>
/// The aggregate fold: per route, request count, error count and latency percentiles, from the entry
/// spans of a snapshot. An entry span is a SERVER span, or the root of a trace in this process (no
/// parent, or a remote one); its key is <c>http.route</c>, falling back to the span name. Memory per
/// route is bounded (one 160-bucket exponential histogram).
/// </summary>
public sealed class RouteAggregates : ISpanFold
{
    private readonly Dictionary<string, RouteStats> _routes = new(StringComparer.Ordinal);

    /// <summary>The key that entry spans are counted under once <see cref="MaxRoutes"/> routes are known.</summary>
    public const string OtherRoute = "(other)";

    /// <summary>
    /// At most this many routes are kept (unbounded by default); spans of further routes are counted under
    /// <see cref="OtherRoute"/>, so that entry spans with made-up names cannot grow the aggregate without end.
    /// </summary>
    public int MaxRoutes { get; init; } = int.MaxValue;

    /// <summary>The routes seen, ordered by name.</summary>
    public IReadOnlyList<RouteStats> Routes
    {
        get
        {
            var list = new List<RouteStats>(_routes.Values);
            list.Sort(static (a, b) => string.CompareOrdinal(a.Route, b.Route));
            return list;
        }
    }

    /// <summary>The stats of <paramref name="route"/>, or null.</summary>
    public RouteStats? Get(string route) => _routes.GetValueOrDefault(route);

    /// <summary>Folds every trace of <paramref name="forest"/>.</summary>
    public static RouteAggregates Of(TraceForest forest)
    {
        var aggregates = new RouteAggregates();
        forest.Walk(aggregates);
        return aggregates;
    }

    /// <inheritdoc/>
    public void Add(TraceTree trace, SpanNode node)
    {
        if (node.Span is { } span && IsEntry(span))
        {
            Add(span);
        }
    }

    /// <summary>Counts one entry span (also usable without a tree).</summary>
    public void Add(SpanRecord span) => Add(MethodOf(span), RouteOf(span), span.DurationNanos, IsError(span));

    /// <summary>
    /// Counted as an error: ERROR status, except a request the client aborted (ERROR by the HTTP conventions,
    /// with <c>error.type</c> <c>request_aborted</c>, but no failure of the server: no 5xx was sent).
    /// </summary>
    internal static bool IsError(SpanRecord span) => span.StatusCode == SpanStatusCode.Error && !SpanStatusPolicy.IsAbortedRequest(span);

    /// <summary>The span's <c>http.request.method</c>, or null.</summary>
    internal static string? MethodOf(SpanRecord span) =>
        span.TryGetAttribute("http.request.method", out AttributeValue m) && m.Type == AttributeType.String ? m.AsString() : null;

    /// <summary>The span's <c>http.route</c>, or its name when it has none.</summary>
    internal static string RouteOf(SpanRecord span) =>
        span.TryGetAttribute("http.route", out AttributeValue r) && r.Type == AttributeType.String && r.AsString().Length > 0
            ? r.AsString()
            : span.Name;

    /// <summary>Counts one request of <paramref name="route"/>.</summary>
    internal void Add(string? method, string route, long durationNanos, bool error)
    {
        if (!_routes.TryGetValue(route, out RouteStats? stats))
        {
            if (_routes.Count >= MaxRoutes)
            {
                route = OtherRoute;
                method = null;
            }
            if (!_routes.TryGetValue(route, out stats))
            {
                stats = new RouteStats(route, method);
                _routes.Add(route, stats);
            }
        }
        stats.Latency.Record(Math.Max(0, durationNanos) / 1e9);
        if (error)
        {
            stats.ErrorCount++;
        }
    }

    /// <summary>True for a SERVER span or a span whose parent is not in this process.</summary>
    public static bool IsEntry(SpanRecord span) =>
        span.Kind == ActivityKind.Server || !span.ParentSpanId.IsValid || span.ParentIsRemote;
}
