using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>
/// Interim Prometheus text exposition (0.0.4) of the per-route numbers, until the folds' Prometheus page
/// lands on main; then <c>/metrics</c> serves theirs.
/// </summary>
internal static class InterimPrometheus
{
    public static string Render(TraceFeed feed)
    {
        List<RouteSummary> routes = feed.Routes.Snapshot();
        var text = new StringBuilder();
        text.Append("# HELP otelgen_http_server_requests_total HTTP requests served, by route.\n");
        text.Append("# TYPE otelgen_http_server_requests_total counter\n");
        foreach (RouteSummary r in routes)
        {
            text.Append("otelgen_http_server_requests_total").Append(Labels(r)).Append(' ').Append(r.Requests.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        text.Append("# HELP otelgen_http_server_errors_total HTTP requests that ended in a server error (5xx or exception), by route.\n");
        text.Append("# TYPE otelgen_http_server_errors_total counter\n");
        foreach (RouteSummary r in routes)
        {
            text.Append("otelgen_http_server_errors_total").Append(Labels(r)).Append(' ').Append(r.Errors.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        text.Append("# HELP otelgen_http_server_request_duration_seconds HTTP request duration, by route.\n");
        text.Append("# TYPE otelgen_http_server_request_duration_seconds summary\n");
        foreach (RouteSummary r in routes)
        {
            string labels = LabelBody(r);
            Quantile(text, labels, "0.5", r.P50);
            Quantile(text, labels, "0.95", r.P95);
            Quantile(text, labels, "0.99", r.P99);
            text.Append("otelgen_http_server_request_duration_seconds_sum{").Append(labels).Append("} ").Append(r.SumSeconds.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            text.Append("otelgen_http_server_request_duration_seconds_count{").Append(labels).Append("} ").Append(r.Requests.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        text.Append("# HELP otelgen_spans_lost_total Spans the dashboard feed missed because the ring overwrote them.\n");
        text.Append("# TYPE otelgen_spans_lost_total counter\n");
        text.Append("otelgen_spans_lost_total ").Append(feed.Lost.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    private static void Quantile(StringBuilder text, string labels, string q, double value) =>
        text.Append("otelgen_http_server_request_duration_seconds{").Append(labels).Append(",quantile=\"").Append(q).Append("\"} ")
            .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static string Labels(RouteSummary r) => "{" + LabelBody(r) + "}";

    private static string LabelBody(RouteSummary r) =>
        "http_request_method=\"" + Escape(r.Method) + "\",http_route=\"" + Escape(r.Route) + "\"";

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
