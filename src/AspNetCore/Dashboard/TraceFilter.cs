using System;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>
/// The trace list's filters, read from the query string so a filtered view can be linked:
/// <c>route</c> (case-insensitive substring of the trace's route or root name), <c>errors=1</c> (any span
/// ERROR, the root or one below it), <c>min_ms</c> (root duration at least that many milliseconds) and <c>trace</c> (find one
/// trace by its 32-hex id).
/// </summary>
internal sealed class TraceFilter
{
    public string Route { get; init; } = "";
    public bool ErrorsOnly { get; init; }
    public double MinMilliseconds { get; init; }
    /// <summary>The <c>trace</c> parameter as given (trimmed, lower-cased); empty when absent.</summary>
    public string TraceId { get; init; } = "";

    public bool IsEmpty => Route.Length == 0 && !ErrorsOnly && MinMilliseconds <= 0;

    public static TraceFilter From(IQueryCollection query)
    {
        string errors = query["errors"].ToString();
        double.TryParse(query["min_ms"].ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double minMs);
        return new TraceFilter
        {
            Route = query["route"].ToString().Trim(),
            ErrorsOnly = errors is "1" or "true" or "on",
            MinMilliseconds = double.IsFinite(minMs) && minMs > 0 ? minMs : 0,
            TraceId = query["trace"].ToString().Trim().ToLowerInvariant(),
        };
    }

    public bool Matches(TraceSummary trace)
    {
        if (ErrorsOnly && !trace.HasError)
        {
            return false;
        }
        if (MinMilliseconds > 0 && trace.DurationNanos < MinMilliseconds * 1_000_000)
        {
            return false;
        }
        if (Route.Length > 0
            && trace.Route.IndexOf(Route, StringComparison.OrdinalIgnoreCase) < 0
            && trace.Name.IndexOf(Route, StringComparison.OrdinalIgnoreCase) < 0)
        {
            return false;
        }
        return true;
    }
}

/// <summary>
/// What the filters and the trace list look at in one trace: root name and duration, route, how many spans it has, how
/// many of them are ERROR and whether the root is one of them.
/// </summary>
internal readonly record struct TraceSummary(string Name, string Route, long DurationNanos, int SpanCount, int ErrorSpans, bool RootIsError)
{
    /// <summary>True when any span of the trace, the root or another, has status ERROR (what <c>errors=1</c> keeps).</summary>
    public bool HasError => ErrorSpans > 0;

    /// <summary>ERROR spans other than the root: a request that answered 200 while a step failed has some.</summary>
    public int ErrorSpansBelowRoot => RootIsError ? ErrorSpans - 1 : ErrorSpans;

    /// <summary>
    /// The route is the SERVER span's <c>http.route</c> (the local root's when it is one, else the first
    /// SERVER span's), else that span's name; a trace with no SERVER span is routed by its root's name.
    /// </summary>
    public static TraceSummary Of(SpanRecord root, System.Collections.Generic.List<SpanRecord> spans)
    {
        int errors = 0;
        bool rootIsError = false;
        SpanRecord? server = root.Kind == System.Diagnostics.ActivityKind.Server ? root : null;
        foreach (SpanRecord span in spans)
        {
            if (span.StatusCode == SpanStatusCode.Error)
            {
                errors++;
                rootIsError |= ReferenceEquals(span, root);
            }
            if (server is null && span.Kind == System.Diagnostics.ActivityKind.Server)
            {
                server = span;
            }
        }
        string route = (server ?? root).Name;
        if (server is not null && server.TryGetAttribute("http.route", out AttributeValue value) && value.Type == AttributeType.String)
        {
            route = value.AsString();
        }
        return new TraceSummary(root.Name, route, root.DurationNanos, spans.Count, errors, rootIsError);
    }
}
