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

    public static string Page(string basePath, string serviceName, List<(TraceView Trace, TraceSummary Summary)> traces, string waterfall, string waterfallTraceId, List<RouteSummary> routes,
        TraceFilter? filter = null, string? notice = null, bool pinned = false, int total = -1)
    {
        filter ??= new TraceFilter();
        var html = new StringBuilder(16 * 1024);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">");
        html.Append("<title>OtelGen · ").Append(Escape(serviceName)).Append("</title>");
        html.Append("<style>")
            .Append("body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}")
            .Append("table{border-collapse:collapse;font-size:.9rem}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}")
            .Append("tbody#traces tr{cursor:pointer}tbody#traces tr:hover{background:#f3f6fb}tr.selected{background:#e6eefa}")
            .Append(".ERROR{color:#c9302c;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}#live{color:#888;font-size:.8rem}")
            // A trace with an ERROR span anywhere: a red bar on its row; ERROR spans below the root: a badge beside the root's status.
            .Append("tbody#traces tr.has-error td:first-child{box-shadow:inset 4px 0 #c9302c}.span-errors{display:inline-block;margin-left:.4rem;padding:0 .35rem;border-radius:.6rem;background:#fbeaea;color:#a12622;border:1px solid #e3a3a1;font-size:.78rem;font-weight:600;white-space:nowrap}")
            .Append("#filters{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;font-size:.9rem}#filters input[name=trace]{width:22rem;font-family:monospace}")
            .Append(".notice{background:#fff4e5;border:1px solid #f0c27b;padding:.4rem .6rem;display:inline-block}.muted{color:#888}")
            .Append("#waterfall g.row[data-span]{cursor:pointer}#waterfall g.row[data-span]:focus{outline:none}#waterfall g.row[data-span]:focus rect.span,#waterfall g.row.chosen rect.span{stroke:#1a4fd6;stroke-width:3}")
            .Append("#waterfall{overflow-x:auto;max-width:100%}")
            .Append("#details{box-sizing:border-box;position:fixed;top:0;right:0;bottom:0;width:min(560px,46vw);overflow:auto;background:#fff;border-left:1px solid #ccc;box-shadow:-4px 0 12px rgba(0,0,0,.12);padding:0 1rem 1rem;font-size:.9rem}")
            .Append("#details h3{margin:.8rem 0 .4rem;word-break:break-all}#details h4{margin:1rem 0 .3rem}#details dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:0}")
            .Append("#details dt{color:#666}#details dd{margin:0;font-family:monospace;word-break:break-all}#details td{font-family:monospace;word-break:break-all}#details td:first-child{word-break:normal;white-space:nowrap}#details td.type{color:#999;font-size:.75rem}")
            .Append("#details .event,#details .link{border-left:3px solid #bbb;padding-left:.5rem;margin:.5rem 0}#details .event.exception{border-color:#c9302c}")
            .Append("pre.stack{background:#fbeaea;padding:.5rem;overflow:auto;font-size:.78rem;white-space:pre-wrap}#details-close{float:right;margin-top:.8rem}")
            .Append("#log-lines{font-family:monospace;font-size:.85rem}")
            // A narrow window: the details panel is not a drawer over the waterfall but a section under it, in the page's flow.
            // Wide tables (the trace list, the strip) scroll in their own box, as the waterfall does, so the page never scrolls sideways.
            .Append("@media (max-width:").Append(NarrowWidth.ToString(CultureInfo.InvariantCulture)).Append("px){body{margin:.75rem}table{display:block;max-width:100%;overflow-x:auto}")
            .Append("#details{position:static;width:auto;box-shadow:none;border:1px solid #ccc;border-top:3px solid #1a4fd6;margin-top:.75rem;padding:0 .75rem .75rem}}")
            // A wide window: while the drawer is open the page makes room for it on the right, so it covers nothing; the
            // waterfall and wide tables narrow and scroll sideways in their own boxes.
            .Append("@media (min-width:").Append((NarrowWidth + 1).ToString(CultureInfo.InvariantCulture)).Append("px){body:has(#details:not([hidden])){margin-right:calc(min(560px,46vw) + 1rem)}body:has(#details:not([hidden])) table{display:block;max-width:100%;overflow-x:auto}}")
            .Append("</style></head><body>");
        html.Append("<h1>OtelGen · ").Append(Escape(serviceName)).Append(" <span id=\"live\">connecting…</span></h1>");
        html.Append("<h2>Routes</h2><div id=\"metrics\">").Append(MetricsStrip(routes)).Append("</div>");

        // The filters are a plain GET form: a filtered view is a link.
        html.Append("<h2>Find and filter</h2><form id=\"filters\" method=\"get\">")
            .Append("<label>route <input name=\"route\" list=\"route-list\" value=\"").Append(Escape(filter.Route)).Append("\" placeholder=\"/blogs/posts\"></label><datalist id=\"route-list\">");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (RouteSummary r in routes)
        {
            if (seen.Add(r.Route))
            {
                html.Append("<option value=\"").Append(Escape(r.Route)).Append("\">");
            }
        }
        html.Append("</datalist>")
            .Append("<label title=\"traces with a span whose status is ERROR: the root or any span below it\"><input type=\"checkbox\" name=\"errors\" value=\"1\"").Append(filter.ErrorsOnly ? " checked" : "").Append("> errors only</label>")
            .Append("<label>min duration <input name=\"min_ms\" type=\"number\" min=\"0\" step=\"any\" style=\"width:6rem\" value=\"")
            .Append(filter.MinMilliseconds > 0 ? filter.MinMilliseconds.ToString(CultureInfo.InvariantCulture) : "").Append("\"> ms</label>")
            .Append("<label>trace id <input name=\"trace\" maxlength=\"64\" placeholder=\"32 hex digits\" value=\"").Append(Escape(filter.TraceId)).Append("\"></label>")
            .Append("<button type=\"submit\">apply</button><a href=\"").Append(Escape(basePath)).Append("\">clear</a></form>");
        if (!string.IsNullOrEmpty(notice))
        {
            html.Append("<p id=\"notice\" class=\"notice\">").Append(Escape(notice)).Append("</p>");
        }

        html.Append("<h2>Waterfall</h2><div id=\"waterfall\" data-trace=\"").Append(Escape(waterfallTraceId)).Append("\">").Append(waterfall).Append("</div>");
        html.Append("<p class=\"muted\" style=\"font-size:.8rem\">Click a span (or focus it and press Enter) for its details.</p>");
        // Right after the waterfall: a drawer on the right in a wide window, the next section under the waterfall in a narrow one.
        html.Append("<aside id=\"details\" hidden aria-label=\"span details\"><button id=\"details-close\" type=\"button\" aria-label=\"close\">close ✕</button><div id=\"details-body\"></div></aside>");
        // Log lines of the shown trace (the JSON's logs, from TraceLogStore), each linked to its span; hidden while there are none.
        html.Append("<section id=\"logs\" hidden><h2>Log lines</h2><table><thead><tr><th>time</th><th>level</th><th>message</th><th>span</th></tr></thead><tbody id=\"log-lines\"></tbody></table></section>");

        html.Append("<h2>Recent traces</h2>");
        if (!filter.IsEmpty && total >= 0)
        {
            html.Append("<p id=\"list-note\" class=\"muted\">").Append(traces.Count.ToString(CultureInfo.InvariantCulture)).Append(" of ")
                .Append(total.ToString(CultureInfo.InvariantCulture)).Append(" kept traces match the filters.</p>");
        }
        html.Append("<table><thead><tr><th>time (UTC)</th><th>name</th><th class=\"num\">duration</th><th>status</th><th>spans</th><th>trace id</th></tr></thead><tbody id=\"traces\">");
        foreach ((TraceView trace, TraceSummary summary) in traces)
        {
            html.Append(Row(trace, summary));
        }
        html.Append("</tbody></table>");
        html.Append("<script>(function(){")
            .Append("const base=").Append(JsString(basePath)).Append(';')
            .Append("const filter={route:").Append(JsString(filter.Route.ToLowerInvariant())).Append(",errors:").Append(filter.ErrorsOnly ? "true" : "false")
            .Append(",minNanos:").Append((filter.MinMilliseconds * 1_000_000).ToString("R", CultureInfo.InvariantCulture)).Append("};")
            .Append("const rows=document.getElementById('traces'),wf=document.getElementById('waterfall'),metrics=document.getElementById('metrics'),live=document.getElementById('live');")
            .Append("const details=document.getElementById('details'),body=document.getElementById('details-body'),logs=document.getElementById('logs'),logLines=document.getElementById('log-lines');")
            .Append("let pinned=").Append(pinned ? JsString(waterfallTraceId) : "null").Append(";")
            .Append(Script.Replace("MAXROWS", TraceFeed.MaxTraces.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            .Append("})();</script></body></html>");
        return html.ToString();
    }

    // The page's behaviour. Data from spans reaches the DOM only through textContent, setAttribute on fixed
    // names, and element.href built from hex ids: never innerHTML (the server-built row, SVG and metrics
    // fragments are the only HTML inserted, and they are escaped on the server).
    private const string Script = """
const cache=new Map();
function load(id){if(!cache.has(id)){cache.set(id,fetch(base+'/api/traces/'+id).then(r=>r.ok?r.json():null).catch(()=>null));while(cache.size>50)cache.delete(cache.keys().next().value);}return cache.get(id);}
function el(tag,text,cls){const e=document.createElement(tag);if(text!==undefined&&text!==null)e.textContent=text;if(cls)e.className=cls;return e;}
function dur(ns){if(ns<1e3)return ns+' ns';if(ns<1e6)return (ns/1e3).toFixed(1)+' µs';if(ns<1e9)return (ns/1e6).toFixed(2)+' ms';return (ns/1e9).toFixed(3)+' s';}
function val(a){const one=v=>typeof v==='string'&&Array.isArray(a.value)?JSON.stringify(v):String(v);return Array.isArray(a.value)?'['+a.value.map(one).join(', ')+']':String(a.value);}
function attrs(list,skip){list=list.filter(a=>a.key!==skip);if(!list.length)return el('p','none','muted');const t=el('table',null,'attrs');for(const a of list){const tr=t.insertRow();tr.insertCell().textContent=a.key;tr.insertCell().textContent=val(a);const c=tr.insertCell();c.textContent=a.type;c.className='type';}return t;}
function arm(){for(const g of wf.querySelectorAll('g.row[data-span]')){g.setAttribute('tabindex','0');g.setAttribute('role','button');const n=g.querySelector('text:not(.dur)');g.setAttribute('aria-label','span details: '+(n?n.textContent:''));}}
function choose(spanId){for(const g of wf.querySelectorAll('g.row.chosen'))g.classList.remove('chosen');const g=wf.querySelector('g.row[data-span="'+spanId+'"]');if(g)g.classList.add('chosen');}
function open(traceId,spanId){pinned=traceId;load(traceId).then(t=>{if(!t){body.replaceChildren(el('p','This trace is no longer kept by the dashboard.','notice'));details.hidden=false;return;}const s=t.spans.find(x=>x.spanId===spanId);if(s){show(t,s);choose(spanId);}});}
function show(t,s){
 body.replaceChildren();details.hidden=false;details.dataset.span=s.spanId;
 if(getComputedStyle(details).position==='static')requestAnimationFrame(()=>details.scrollIntoView({block:'nearest'}));
 body.append(el('h3',s.name));
 const dl=el('dl');const kv=(k,v,c)=>{dl.append(el('dt',k));dl.append(el('dd',v,c));};
 kv('kind',s.kind);kv('trace id',t.traceId);kv('span id',s.spanId);kv('parent',s.parentSpanId?s.parentSpanId+(s.parentIsRemote?' (remote)':''):'none (root)');
 kv('start','+'+dur(s.offsetNanos)+' · '+new Date(s.startUnixNano/1e6).toISOString());kv('duration',dur(s.durationNanos));
 kv('status',s.status.code+(s.status.message?': '+s.status.message:''),s.status.code);
 body.append(dl);
 body.append(el('h4','Attributes ('+s.attributes.length+(s.droppedAttributes?', '+s.droppedAttributes+' dropped':'')+')'),attrs(s.attributes));
 body.append(el('h4','Events ('+s.events.length+(s.droppedEvents?', '+s.droppedEvents+' dropped':'')+')'));
 if(!s.events.length)body.append(el('p','none','muted'));
 for(const e of s.events){const d=el('div',null,'event'+(e.name==='exception'?' exception':''));d.append(el('strong',e.name),el('span',' at +'+dur(e.offsetNanos),'muted'));
  d.append(attrs(e.attributes,'exception.stacktrace'));const st=e.attributes.find(a=>a.key==='exception.stacktrace');if(st)d.append(el('pre',String(st.value),'stack'));body.append(d);}
 body.append(el('h4','Links ('+s.links.length+')'));
 if(!s.links.length)body.append(el('p','none','muted'));
 for(const l of s.links){const d=el('div',null,'link');d.append(el('div','trace '+l.traceId),el('div','span '+l.spanId));
  if(l.inDashboard){const a=el('a','open this trace');a.href=base+'?trace='+encodeURIComponent(l.traceId);d.append(a);}else d.append(el('span','(not kept by this dashboard)','muted'));
  d.append(attrs(l.attributes));body.append(d);}
 body.append(el('h4','Resource'),attrs(t.resource));
}
function showLogs(t){logLines.replaceChildren();const lines=(t&&t.logs)||[];logs.hidden=lines.length===0;
 for(const l of lines){const tr=logLines.insertRow();tr.insertCell().textContent=l.timeUnixNano?new Date(l.timeUnixNano/1e6).toISOString().slice(11,23):'';tr.insertCell().textContent=l.severity||'';tr.insertCell().textContent=l.body||'';
  const c=tr.insertCell();if(l.spanId){const a=el('a',l.spanId);a.href='#';a.addEventListener('click',ev=>{ev.preventDefault();open(t.traceId,l.spanId);});c.append(a);}}}
function shown(id){wf.dataset.trace=id;arm();if(!details.hidden&&details.dataset.trace!==id)details.hidden=true;details.dataset.trace=id;load(id).then(showLogs);}
function matches(t){if(filter.errors&&!t.error)return false;if(t.durationNanos<filter.minNanos)return false;if(filter.route&&t.route.toLowerCase().indexOf(filter.route)<0&&t.name.toLowerCase().indexOf(filter.route)<0)return false;return true;}
wf.addEventListener('click',e=>{const g=e.target.closest('g.row[data-span]');if(g)open(wf.dataset.trace,g.dataset.span);});
wf.addEventListener('keydown',e=>{if(e.key!=='Enter'&&e.key!==' ')return;const g=e.target.closest('g.row[data-span]');if(g){e.preventDefault();open(wf.dataset.trace,g.dataset.span);}});
document.getElementById('details-close').addEventListener('click',()=>{details.hidden=true;choose('');});
document.addEventListener('keydown',e=>{if(e.key==='Escape'){details.hidden=true;choose('');}});
document.getElementById('filters').addEventListener('submit',e=>{e.preventDefault();const q=new URLSearchParams();for(const [k,v] of new FormData(e.target)){if(String(v).trim())q.set(k,String(v).trim());}location.search=q.toString();});
if(wf.dataset.trace)shown(wf.dataset.trace);
if(pinned){const r=rows.querySelector('tr[data-trace="'+pinned+'"]');if(r)r.classList.add('selected');}
rows.addEventListener('click',e=>{const tr=e.target.closest('tr');if(!tr)return;pinned=tr.dataset.trace;
 for(const r of rows.querySelectorAll('tr.selected'))r.classList.remove('selected');tr.classList.add('selected');
 const id=pinned;fetch(base+'/trace/'+id).then(r=>r.ok?r.text():'').then(svg=>{if(svg){wf.innerHTML=svg;shown(id);}});});
const es=new EventSource(base+'/stream');
es.onopen=()=>{live.textContent='live';};es.onerror=()=>{live.textContent='reconnecting…';};
es.addEventListener('trace',e=>{const t=JSON.parse(e.data);cache.delete(t.id);
 const old=rows.querySelector('tr[data-trace="'+t.id+'"]');if(old)old.remove();
 metrics.innerHTML=t.metrics;if(!matches(t))return;
 rows.insertAdjacentHTML('afterbegin',t.row);while(rows.rows.length>MAXROWS)rows.deleteRow(-1);
 if(pinned===t.id&&old)old.classList.contains('selected')&&rows.rows[0].classList.add('selected');
 if(!pinned||pinned===t.id){wf.innerHTML=t.waterfall;shown(t.id);}});
""";
    /// <summary>
    /// One row of the trace list. The status column is the root's status; a trace with an ERROR span anywhere has the
    /// row class <c>has-error</c> (a red bar) and, when ERROR spans are below the root, a badge with their count
    /// (<c>span.span-errors</c>, <c>data-error-spans</c> on the row): a request that answered 200 while a step failed is
    /// marked, not only one whose root failed.
    /// </summary>
    public static string Row(TraceView trace, TraceSummary summary)
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
        string errorRow = summary.HasError ? " class=\"has-error\" data-error-spans=\"" + summary.ErrorSpans.ToString(CultureInfo.InvariantCulture) + "\"" : "";
        string badge = "";
        int below = summary.ErrorSpansBelowRoot;
        if (below > 0)
        {
            string count = below.ToString(CultureInfo.InvariantCulture);
            string spans = below == 1 ? "span" : "spans";
            badge = $"<span class=\"span-errors\" title=\"{count} {spans} below the root {(below == 1 ? "has" : "have")} status ERROR\">⚠ {count} {spans} ERROR</span>";
        }
        return $"<tr data-trace=\"{id}\"{errorRow}><td>{time}</td><td>{Escape(root.Name)}</td><td class=\"num\">{SvgWaterfall.FormatDuration(root.DurationNanos)}</td><td><span class=\"{status}\">{status}</span>{badge}</td><td class=\"num\">{summary.SpanCount.ToString(CultureInfo.InvariantCulture)}</td><td><code>{id}</code></td></tr>";
    }

    /// <summary>Below this window width (CSS px) the span details panel is a section under the waterfall, not a drawer over it.</summary>
    public const int NarrowWidth = 900;

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

    public static string NoMatchWaterfall => "<p>No kept trace matches the filters.</p>";

    // A JavaScript string literal: JSON string escaping with the default encoder, which also escapes the
    // HTML-significant characters (<, >, &, quotes), as JsonSerializer.Serialize(string) does, without reflection.
    private static string JsString(string value) => "\"" + System.Text.Json.JsonEncodedText.Encode(value).ToString() + "\"";
}
