using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;
using OtelGen.Folds;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>The dashboard's HTML, built on the server; every piece of text from spans is HTML-escaped.</summary>
internal static class DashboardHtml
{
    public static string Escape(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    public static string Page(string basePath, string serviceName, List<TraceView> traces, string waterfall, string waterfallTraceId, List<RouteSummary> routes)
    {
        var html = new StringBuilder(16 * 1024);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">");
        html.Append("<title>OtelGen · ").Append(Escape(serviceName)).Append("</title>");
        html.Append("<style>")
            .Append("body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}")
            .Append("table{border-collapse:collapse;font-size:.9rem}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}")
            .Append("tbody#traces tr{cursor:pointer}tbody#traces tr:hover{background:#f3f6fb}tr.selected{background:#e6eefa}")
            .Append(".ERROR{color:#c9302c;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}#live{color:#888;font-size:.8rem}")
            .Append("</style></head><body>");
        html.Append("<h1>OtelGen · ").Append(Escape(serviceName)).Append(" <span id=\"live\">connecting…</span></h1>");
        html.Append("<h2>Routes</h2><div id=\"metrics\">").Append(MetricsStrip(routes)).Append("</div>");
        html.Append("<h2>Waterfall</h2><div id=\"waterfall\" data-trace=\"").Append(Escape(waterfallTraceId)).Append("\">").Append(waterfall).Append("</div>");
        html.Append("<h2>Recent traces</h2><table><thead><tr><th>time (UTC)</th><th>name</th><th class=\"num\">duration</th><th>status</th><th>spans</th><th>trace id</th></tr></thead><tbody id=\"traces\">");
        foreach (TraceView trace in traces)
        {
            html.Append(Row(trace));
        }
        html.Append("</tbody></table>");
        html.Append("<script>(function(){")
            .Append("const base=").Append(JsString(basePath)).Append(';')
            .Append("const rows=document.getElementById('traces'),wf=document.getElementById('waterfall'),metrics=document.getElementById('metrics'),live=document.getElementById('live');")
            .Append("let pinned=null;")
            .Append("rows.addEventListener('click',e=>{const tr=e.target.closest('tr');if(!tr)return;pinned=tr.dataset.trace;")
            .Append("for(const r of rows.querySelectorAll('tr.selected'))r.classList.remove('selected');tr.classList.add('selected');")
            .Append("const id=pinned;fetch(base+'/trace/'+id).then(r=>r.ok?r.text():'').then(svg=>{if(svg){wf.innerHTML=svg;wf.dataset.trace=id;}});});")
            .Append("const es=new EventSource(base+'/stream');")
            .Append("es.onopen=()=>{live.textContent='live';};es.onerror=()=>{live.textContent='reconnecting…';};")
            .Append("es.addEventListener('trace',e=>{const t=JSON.parse(e.data);")
            .Append("const old=rows.querySelector('tr[data-trace=\"'+t.id+'\"]');if(old)old.remove();")
            .Append("rows.insertAdjacentHTML('afterbegin',t.row);while(rows.rows.length>").Append(TraceFeed.MaxTraces).Append(")rows.deleteRow(-1);")
            .Append("if(!pinned||pinned===t.id){wf.innerHTML=t.waterfall;wf.dataset.trace=t.id;}metrics.innerHTML=t.metrics;});")
            .Append("})();</script></body></html>");
        return html.ToString();
    }

    public static string Row(TraceView trace)
    {
        SpanRecord root = trace.Root;
        string time = DateTimeOffset.FromUnixTimeMilliseconds(root.StartUnixNano / 1_000_000).UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        string status = root.StatusCode switch
        {
            SpanStatusCode.Error => "ERROR",
            SpanStatusCode.Ok => "OK",
            _ => "UNSET",
        };
        string id = trace.TraceIdHex;
        return $"<tr data-trace=\"{id}\"><td>{time}</td><td>{Escape(root.Name)}</td><td class=\"num\">{SvgWaterfall.FormatDuration(root.DurationNanos)}</td><td class=\"{status}\">{status}</td><td class=\"num\">{trace.Spans.Count}</td><td><code>{id}</code></td></tr>";
    }

    public static string MetricsStrip(List<RouteSummary> routes)
    {
        if (routes.Count == 0)
        {
            return "<p>No requests yet.</p>";
        }
        var html = new StringBuilder();
        html.Append("<table><thead><tr><th>route</th><th class=\"num\">requests</th><th class=\"num\">errors</th><th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">p99</th></tr></thead><tbody>");
        foreach (RouteSummary r in routes)
        {
            html.Append("<tr><td>").Append(Escape(RouteLabel(r.Method, r.Route))).Append("</td>")
                .Append("<td class=\"num\">").Append(r.Requests.ToString(CultureInfo.InvariantCulture)).Append("</td>")
                .Append("<td class=\"num\">").Append(r.Errors.ToString(CultureInfo.InvariantCulture)).Append("</td>")
                .Append("<td class=\"num\">").Append(SvgWaterfall.FormatDuration((long)(r.P50 * 1e9))).Append("</td>")
                .Append("<td class=\"num\">").Append(SvgWaterfall.FormatDuration((long)(r.P95 * 1e9))).Append("</td>")
                .Append("<td class=\"num\">").Append(SvgWaterfall.FormatDuration((long)(r.P99 * 1e9))).Append("</td></tr>");
        }
        html.Append("</tbody></table>");
        return html.ToString();
    }

    /// <summary>
    /// A strip row's label, as the HTTP conventions name the SERVER span: <c>{method} {route}</c>, <c>HTTP</c> for
    /// a method outside the known set (<c>_OTHER</c>). A request no route matched has no <c>http.route</c>, and
    /// the aggregate keys it by its span name, which is already the method alone (<c>GET</c>, <c>HTTP</c>): that
    /// name is the label as it is, not prefixed with the method again.
    /// </summary>
    public static string RouteLabel(string? method, string route)
    {
        if (method is null)
        {
            return route; // not an HTTP span: its name
        }
        string shown = method == "_OTHER" ? "HTTP" : method;
        if (route == shown || route.StartsWith(shown + " ", StringComparison.Ordinal))
        {
            return route;
        }
        return shown + " " + route;
    }

    public static string EmptyWaterfall => "<p>No traces yet: make a request.</p>";

    // A JavaScript string literal: JSON string escaping with the default encoder, which also escapes the
    // HTML-significant characters (<, >, &, quotes), as JsonSerializer.Serialize(string) does, without reflection.
    private static string JsString(string value) => "\"" + System.Text.Json.JsonEncodedText.Encode(value).ToString() + "\"";
}
