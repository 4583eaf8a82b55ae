using System;
using System.Collections.Generic;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>One route's numbers: requests, errors and latency percentiles (seconds).</summary>
internal readonly record struct RouteSummary(string Method, string Route, long Requests, long Errors, double SumSeconds, double P50, double P95, double P99);

/// <summary>
/// Per-route request counts and latency percentiles from SERVER spans. Interim: the folds' aggregate
/// replaces it once it lands. Percentiles come from the last <see cref="Window"/> durations of each route.
/// </summary>
internal sealed class RouteStats
{
    private const int Window = 2048;
    private readonly object _gate = new();
    private readonly Dictionary<(string Method, string Route), Entry> _routes = new();

    private sealed class Entry
    {
        public long Requests;
        public long Errors;
        public double Sum;
        public readonly double[] Recent = new double[Window];
        public int Next;
    }

    public void Record(SpanRecord span)
    {
        string method = span.TryGetAttribute("http.request.method", out AttributeValue m) && m.Type == AttributeType.String ? m.AsString() : "_OTHER";
        string route = span.TryGetAttribute("http.route", out AttributeValue r) && r.Type == AttributeType.String ? r.AsString() : "";
        double seconds = span.DurationNanos / 1e9;
        lock (_gate)
        {
            if (!_routes.TryGetValue((method, route), out Entry? entry))
            {
                entry = new Entry();
                _routes[(method, route)] = entry;
            }
            entry.Requests++;
            if (span.StatusCode == SpanStatusCode.Error)
            {
                entry.Errors++;
            }
            entry.Sum += seconds;
            entry.Recent[entry.Next++ % Window] = seconds;
        }
    }

    public List<RouteSummary> Snapshot()
    {
        var result = new List<RouteSummary>();
        lock (_gate)
        {
            foreach (KeyValuePair<(string Method, string Route), Entry> kv in _routes)
            {
                Entry e = kv.Value;
                int n = (int)Math.Min(e.Requests, Window);
                double[] sorted = new double[n];
                Array.Copy(e.Recent, sorted, n);
                Array.Sort(sorted);
                result.Add(new RouteSummary(kv.Key.Method, kv.Key.Route, e.Requests, e.Errors, e.Sum, Quantile(sorted, 0.5), Quantile(sorted, 0.95), Quantile(sorted, 0.99)));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Route + " " + a.Method, b.Route + " " + b.Method));
        return result;
    }

    private static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        int index = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
