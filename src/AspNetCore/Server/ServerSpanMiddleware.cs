using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Server;

/// <summary>
/// Makes each request a SERVER span, the root of this process's part of the trace. It continues an
/// incoming <c>traceparent</c>/<c>tracestate</c>/<c>baggage</c>; invalid headers start a new trace and
/// drop tracestate (W3C Trace Context), and never fail the request. When ASP.NET Core made its own
/// request Activity (someone listens) and no valid traceparent came in, the span becomes a root in the
/// Activity's trace, so logs that read <c>Activity.Current</c> and our spans agree on the trace id;
/// with a valid traceparent both are children of the same remote parent. The Activity is never the
/// parent of our span, so there is exactly one SERVER root in our ring.
/// </summary>
internal sealed class ServerSpanMiddleware
{
    private readonly RequestDelegate _next;
    private readonly PathString _dashboardPath;
    private readonly PathString _metricsPath;

    public ServerSpanMiddleware(RequestDelegate next, PathString dashboardPath, PathString metricsPath)
    {
        _next = next;
        _dashboardPath = dashboardPath;
        _metricsPath = metricsPath;
    }

    public Task InvokeAsync(HttpContext context)
    {
        // The dashboard and scrapes are not traced: watching would otherwise fill what is watched.
        if (!Tracing.IsEnabled || context.Request.Path.StartsWithSegments(_dashboardPath) || context.Request.Path.StartsWithSegments(_metricsPath))
        {
            return _next(context);
        }
        return TraceAsync(context);
    }

    private async Task TraceAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string method = HttpServerSemantics.NormalizeMethod(request.Method);
        ContextScope remote = ContinueIncoming(context);
        AsyncSpanScope span = Tracer.StartAsyncSpan(HttpServerSemantics.SpanName(method, null), SpanKind.Server);
        Exception? failure = null;
        try
        {
            if (span.IsRecording)
            {
                RecordRequest(span, request, method);
            }
            await _next(context);
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            try
            {
                if (span.IsRecording)
                {
                    RecordResponse(span, context, method, failure);
                }
            }
            catch
            {
                // Telemetry never throws into the application.
            }
            span.Dispose();
            remote.Dispose();
        }
    }

    private static ContextScope ContinueIncoming(HttpContext context)
    {
        IHeaderDictionary headers = context.Request.Headers;
        Baggage baggage = Baggage.Empty;
        SpanContext parent = default;
        try
        {
            StringValues baggageHeader = headers["baggage"];
            if (baggageHeader.Count > 0 && Propagators.Baggage)
            {
                baggage = BaggageHeader.Parse(baggageHeader.ToString());
            }
            StringValues traceparent = headers["traceparent"];
            // Two traceparent headers are invalid (the spec allows one); tracestate may be split over several.
            if (traceparent.Count == 1 && Propagators.TraceContext)
            {
                StringValues tracestate = headers["tracestate"];
                TraceParent.TryParse(traceparent[0], tracestate.Count == 0 ? null : tracestate.ToString(), out parent);
            }
            if (!parent.IsValid && context.Features.Get<IHttpActivityFeature>()?.Activity is { IdFormat: ActivityIdFormat.W3C } activity)
            {
                // A root in the host's trace: a trace id with no span id (see the class comment).
                parent = new SpanContext(TraceId.FromActivityTraceId(activity.TraceId), default, 1);
            }
        }
        catch
        {
            parent = default;
        }
        // Continuing even an invalid context hides any outer flow, so every request starts clean.
        return TraceContext.Continue(parent, baggage);
    }

    private static void RecordRequest(AsyncSpanScope span, HttpRequest request, string method)
    {
        span.SetAttribute("http.request.method", method);
        if (method == "_OTHER")
        {
            span.SetAttribute("http.request.method_original", request.Method);
        }
        span.SetAttribute("url.scheme", request.Scheme);
        span.SetAttribute("url.path", request.Path.HasValue ? request.Path.Value : "/");
        if (request.QueryString.HasValue)
        {
            span.SetAttribute("url.query", request.QueryString.Value!.Substring(1));
        }
        HostString host = request.Host;
        if (host.HasValue)
        {
            span.SetAttribute("server.address", host.Host);
            if (host.Port is int port)
            {
                span.SetAttribute("server.port", port);
            }
        }
        if (HttpServerSemantics.ProtocolVersion(request.Protocol) is { } version)
        {
            span.SetAttribute("network.protocol.version", version);
        }
        if (request.HttpContext.Connection.RemoteIpAddress is { } client)
        {
            span.SetAttribute("client.address", client.ToString());
        }
        StringValues userAgent = request.Headers.UserAgent;
        if (userAgent.Count > 0)
        {
            span.SetAttribute("user_agent.original", userAgent.ToString());
        }
    }

    private static void RecordResponse(AsyncSpanScope span, HttpContext context, string method, Exception? failure)
    {
        string? route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        if (!string.IsNullOrEmpty(route))
        {
            if (route[0] != '/')
            {
                route = "/" + route;
            }
            span.SetAttribute("http.route", route);
            span.Span.UpdateName(HttpServerSemantics.SpanName(method, route));
        }
        // An exception that escapes becomes a 500 from the server unless the response had started.
        int status = failure is not null && !context.Response.HasStarted ? 500 : context.Response.StatusCode;
        span.SetAttribute("http.response.status_code", status);
        if (failure is not null)
        {
            span.Span.RecordException(failure);
        }
        else if (HttpServerSemantics.IsServerError(status))
        {
            span.SetAttribute("error.type", HttpServerSemantics.StatusText(status));
            span.Span.SetStatus(SpanStatusCode.Error);
        }
    }
}
