using System.Collections.Generic;
using System.Threading;
using OtelGen.Spans;

namespace OtelGen.Folds;

/// <summary>One route's numbers at one moment: requests, errors and latency percentiles in seconds.</summary>
/// <param name="Method">The <c>http.request.method</c> of the first request seen (null for non-HTTP entry spans).</param>
/// <param name="Route">The <c>http.route</c>, or the span name of a non-HTTP entry span.</param>
/// <param name="Requests">How many entry spans ended.</param>
/// <param name="Errors">How many of them ended with status ERROR.</param>
/// <param name="P50">Median latency, seconds.</param>
/// <param name="P95">95th percentile latency, seconds.</param>
/// <param name="P99">99th percentile latency, seconds.</param>
public readonly record struct RouteSummary(string? Method, string Route, long Requests, long Errors, double P50, double P95, double P99);

/// <summary>
/// The route aggregate (<see cref="RouteAggregates"/>) of SERVER spans, kept live: each request's SERVER
/// span is counted as it ends, so the numbers cover every request however small the ring is and whether or
/// not anything reads it (reading every span back out of the ring to find the one or two SERVER spans of a
/// request cost more than recording them). Off until <see cref="Start"/>. Counting takes a short lock once
/// per SERVER span (once per request); other spans, synchronous ones included, never reach it.
/// </summary>
public sealed class LiveRouteAggregates
{
    private static LiveRouteAggregates? s_current;

    private readonly object _gate = new();
    /// <summary>The most routes kept; entry spans of further routes are counted under <see cref="RouteAggregates.OtherRoute"/>.</summary>
    public const int MaxRoutes = 1000;

    // Bounded: a server whose routes are not templates (raw paths as names) must not grow a process-wide table.
    private readonly RouteAggregates _routes = new() { MaxRoutes = MaxRoutes };

    internal LiveRouteAggregates()
    {
    }

    /// <summary>The live aggregate of this process, started on first call; later calls return the same one.</summary>
    public static LiveRouteAggregates Start()
    {
        LiveRouteAggregates? current = Volatile.Read(ref s_current);
        if (current is not null)
        {
            return current;
        }
        Interlocked.CompareExchange(ref s_current, new LiveRouteAggregates(), null);
        return s_current!;
    }

    /// <summary>Called for every SERVER and CLIENT span that ends (<see cref="Tracing"/>): counts SERVER spans once started.</summary>
    internal static void OnSpanEnd(SpanRecord span)
    {
        if (span.Kind == SpanKind.Server && Volatile.Read(ref s_current) is { } live)
        {
            live.Add(span);
        }
    }

    /// <summary>Counts one SERVER span (or any entry span given directly).</summary>
    public void Add(SpanRecord span)
    {
        lock (_gate)
        {
            _routes.Add(span);
        }
    }

    /// <summary>Every route's numbers, ordered by route.</summary>
    public List<RouteSummary> Summaries()
    {
        lock (_gate)
        {
            var result = new List<RouteSummary>();
            foreach (RouteStats route in _routes.Routes)
            {
                result.Add(new RouteSummary(route.Method, route.Route, route.Count, route.ErrorCount, route.P50, route.P95, route.P99));
            }
            return result;
        }
    }
}
