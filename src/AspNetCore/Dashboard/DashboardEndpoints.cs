using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtelGen.Folds;
using OtelGen.Metrics;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's handlers: the page, the Server-Sent Events stream, one trace's waterfall, and the
/// Prometheus page. The dashboard answers only loopback clients unless remote access is opted into.
/// </summary>
internal static class DashboardEndpoints
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private const int HeartbeatTicks = 60;
    private const int MaxBurst = 20;

    public static async Task PageAsync(HttpContext context)
    {
        if (!await AllowedAsync(context))
        {
            return;
        }
        TraceFeed feed = context.RequestServices.GetRequiredService<TraceFeed>();
        OtelGenAspNetCoreOptions options = context.RequestServices.GetRequiredService<IOptions<OtelGenAspNetCoreOptions>>().Value;
        feed.Drain();
        TraceFilter filter = TraceFilter.From(context.Request.Query);
        List<TraceView> recent = feed.Recent();
        var traces = new List<(TraceView Trace, TraceSummary Summary)>(recent.Count);
        foreach (TraceView trace in recent)
        {
            TraceSummary summary = feed.Summarize(trace);
            if (filter.Matches(summary))
            {
                traces.Add((trace, summary));
            }
        }
        TraceView? shown = traces.Count > 0 ? traces[0].Trace : null;
        string? notice = null;
        bool pinned = false;
        if (filter.TraceId.Length > 0)
        {
            if (!TraceId.TryParse(filter.TraceId, out _) || filter.TraceId.Length != 32)
            {
                notice = "\u201C" + filter.TraceId + "\u201D is not a trace id: a trace id is 32 hexadecimal digits.";
            }
            else if (feed.Find(filter.TraceId) is { } found)
            {
                shown = found;
                pinned = true;
            }
            else
            {
                notice = "Trace " + filter.TraceId + " is not in the dashboard: it keeps the last " + TraceFeed.MaxTraces.ToString(CultureInfo.InvariantCulture)
                    + " finished traces of this process (it may have been dropped, not finished yet, or recorded by another service).";
            }
        }
        string waterfall = shown is not null ? Waterfall(feed, shown) : filter.IsEmpty ? DashboardHtml.EmptyWaterfall : DashboardHtml.NoMatchWaterfall;
        string service = options.ServiceName ?? context.RequestServices.GetService<IHostEnvironment>()?.ApplicationName ?? "service";
        string html = DashboardHtml.Page(options.DashboardPath, service, traces, waterfall, shown?.TraceIdHex ?? "", feed.Routes(), filter, notice, pinned, recent.Count);
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Content-Security-Policy"] = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.WriteAsync(html, context.RequestAborted);
    }

    public static async Task TraceAsync(HttpContext context, string traceId)
    {
        if (!await AllowedAsync(context))
        {
            return;
        }
        TraceFeed feed = context.RequestServices.GetRequiredService<TraceFeed>();
        feed.Drain();
        TraceView? view = feed.Find(traceId);
        if (view is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        context.Response.ContentType = "image/svg+xml; charset=utf-8";
        await context.Response.WriteAsync(Waterfall(feed, view), context.RequestAborted);
    }

    /// <summary>
    /// One trace as JSON: every span's ids, kind, times, status, attributes, events and links, and the
    /// resource (see <see cref="DashboardJson"/>). 404 with a JSON <c>error</c> when the trace is not kept.
    /// </summary>
    public static async Task TraceJsonAsync(HttpContext context, string traceId)
    {
        if (!await AllowedAsync(context))
        {
            return;
        }
        TraceFeed feed = context.RequestServices.GetRequiredService<TraceFeed>();
        OtelGenAspNetCoreOptions options = context.RequestServices.GetRequiredService<IOptions<OtelGenAspNetCoreOptions>>().Value;
        feed.Drain();
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        TraceView? view = feed.Find(traceId);
        if (view is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            string error = TraceId.TryParse(traceId, out _) ? "trace not found: the dashboard keeps the last " + TraceFeed.MaxTraces.ToString(CultureInfo.InvariantCulture) + " finished traces" : "not a trace id (32 hexadecimal digits)";
            await context.Response.WriteAsync("{\"error\":\"" + JsonEncodedText.Encode(error).ToString() + "\"}", context.RequestAborted);
            return;
        }
        IReadOnlyList<TraceLogLine> logs = context.RequestServices.GetService<TraceLogStore>()?.LinesOf(view.Root.TraceId) ?? (IReadOnlyList<TraceLogLine>)Array.Empty<TraceLogLine>();
        byte[] json = DashboardJson.Trace(view, feed.SpansOf(view), DashboardJson.Resource(options.ServiceName), feed.Contains, logs, feed.Summarize(view));
        await context.Response.Body.WriteAsync(json, context.RequestAborted);
    }

    /// <summary>
    /// Server-Sent Events: one <c>trace</c> event per finished trace (JSON: id, name, row HTML, waterfall
    /// SVG, metrics HTML), polling the feed every 250 ms. Ends when the client leaves or the app stops,
    /// so Ctrl+C is never held up by an open dashboard.
    /// </summary>
    public static async Task StreamAsync(HttpContext context)
    {
        if (!await AllowedAsync(context))
        {
            return;
        }
        TraceFeed feed = context.RequestServices.GetRequiredService<TraceFeed>();
        IHostApplicationLifetime? lifetime = context.RequestServices.GetService<IHostApplicationLifetime>();
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        feed.Drain();
        long last = feed.LatestSequence;
        if (long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out long resumeFrom) && resumeFrom <= last)
        {
            last = Math.Max(resumeFrom, last - MaxBurst);
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime?.ApplicationStopping ?? CancellationToken.None);
        CancellationToken token = stop.Token;
        try
        {
            await response.WriteAsync("retry: 1000\n: connected\n\n", token);
            await response.Body.FlushAsync(token);
            int idle = 0;
            while (!token.IsCancellationRequested)
            {
                feed.Drain();
                List<TraceView> fresh = feed.Since(last);
                if (fresh.Count > MaxBurst)
                {
                    fresh.RemoveRange(0, fresh.Count - MaxBurst);
                }
                if (fresh.Count > 0)
                {
                    string metrics = DashboardHtml.MetricsStrip(feed.Routes());
                    foreach (TraceView trace in fresh)
                    {
                        await response.WriteAsync(Event(feed, trace, metrics), token);
                        last = trace.Sequence;
                    }
                    await response.Body.FlushAsync(token);
                    idle = 0;
                }
                else if (++idle >= HeartbeatTicks)
                {
                    // A comment line keeps proxies from closing the stream and finds departed clients.
                    await response.WriteAsync(": ping\n\n", token);
                    await response.Body.FlushAsync(token);
                    idle = 0;
                }
                await Task.Delay(PollInterval, token);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away or the application is stopping.
        }
        catch (System.IO.IOException)
        {
        }
    }

    internal const string FirstScrapeComment =
        "# OtelGen: metrics are collected from the first scrape of this page on (this one); nothing was recorded before it. Scrape again.\n";

    public static async Task MetricsAsync(HttpContext context)
    {
        DashboardMetrics dashboard = context.RequestServices.GetRequiredService<DashboardMetrics>();
        bool first = dashboard.NotStarted;
        MetricsCollector metrics = dashboard.Collector;
        context.Response.ContentType = PrometheusText.ContentType;
        string page = PrometheusText.Write(metrics.Collect());
        if (first && page.Length == 0)
        {
            // A person opening the page should not meet a blank one. A comment is valid exposition text and
            // ignored by Prometheus.
            page = FirstScrapeComment;
        }
        await context.Response.WriteAsync(page, context.RequestAborted);
    }

    internal static string Event(TraceFeed feed, TraceView trace, string metrics)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", trace.TraceIdHex);
            json.WriteString("name", trace.Root.Name);
            json.WriteNumber("durationNanos", trace.Root.DurationNanos);
            json.WriteString("status", trace.Root.StatusCode.ToString());
            TraceSummary summary = feed.Summarize(trace);
            json.WriteString("route", summary.Route);
            json.WriteBoolean("error", summary.HasError);
            json.WriteNumber("errorSpans", summary.ErrorSpans);
            json.WriteString("row", DashboardHtml.Row(trace, summary));
            json.WriteString("waterfall", Waterfall(feed, trace));
            json.WriteString("metrics", metrics);
            json.WriteEndObject();
        }
        // JSON has no raw newlines, so the whole object fits one data: line.
        return "id: " + trace.Sequence.ToString(CultureInfo.InvariantCulture) + "\nevent: trace\ndata: " + Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n\n";
    }

    private static readonly SvgWaterfallOptions s_waterfall = new() { Width = 1100, LabelWidth = 320 };

    // The folds' waterfall; text in it (names, attribute values in tooltips) is escaped by the fold.
    private static string Waterfall(TraceFeed feed, TraceView view) => SvgWaterfall.Render(TraceForest.BuildTrace(feed.SpansOf(view)), s_waterfall);

    /// <summary>Loopback clients always; others only with <see cref="OtelGenAspNetCoreOptions.DashboardAllowRemote"/>.</summary>
    internal static bool IsAllowed(HttpContext context, OtelGenAspNetCoreOptions options)
    {
        if (options.DashboardAllowRemote)
        {
            return true;
        }
        IPAddress? remote = context.Connection.RemoteIpAddress;
        if (remote is null)
        {
            // No network peer (an in-process server): nothing remote to keep out.
            return true;
        }
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }
        return IPAddress.IsLoopback(remote);
    }

    private static async Task<bool> AllowedAsync(HttpContext context)
    {
        OtelGenAspNetCoreOptions options = context.RequestServices.GetRequiredService<IOptions<OtelGenAspNetCoreOptions>>().Value;
        if (IsAllowed(context, options))
        {
            return true;
        }
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("The OtelGen dashboard answers loopback clients only. Set OTELGEN_DASHBOARD_ALLOW_REMOTE=true (or DashboardAllowRemote) to serve other addresses.\n", context.RequestAborted);
        return false;
    }
}
