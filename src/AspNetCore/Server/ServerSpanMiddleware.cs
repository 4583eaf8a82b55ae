using System;
using System.Diagnostics;
using System.Threading;
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
/// When the host's request Activity is recorded by someone (a listener of the <c>Microsoft.AspNetCore</c> source asked
/// for all its data: the OpenTelemetry SDK's ASP.NET Core instrumentation, or OtelGen itself when
/// <c>OTELGEN_ACTIVITY_SOURCES</c> names <c>Microsoft.AspNetCore</c>), that Activity is the request's SERVER span and
/// this middleware starts none: a second SERVER span for the same request would be a duplicate. OtelGen's spans in
/// the request then find the Activity as <c>Activity.Current</c> and become its children.
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
        if (!Tracing.IsEnabled || context.Request.Path.StartsWithSegments(_dashboardPath) || context.Request.Path.StartsWithSegments(_metricsPath)
            || HostActivityIsRecorded(context))
        {
            return _next(context);
        }
        return TraceAsync(context);
    }

    /// <summary>
    /// Whether someone records the host's request Activity, which then is the request's SERVER span (see the class
    /// comment). Asked once the host has started it, so every listener's sampling decision is in. Only an Activity
    /// that came from its source counts: when no listener wants one, the host may still make one with
    /// <c>new Activity(...)</c> (for log scopes, or for a DiagnosticListener subscriber), and such an Activity says
    /// <see cref="Activity.IsAllDataRequested"/> by default and <see cref="Activity.Recorded"/> whenever the incoming
    /// traceparent was sampled, though nobody exports it. For one from the source, <see cref="Activity.IsAllDataRequested"/>
    /// is the listeners' decision (AllData or AllDataAndRecorded; a sampled-out one is propagation-only).
    /// </summary>
    internal static bool HostActivityIsRecorded(HttpContext context) =>
        HostActivity(context) is { } activity && OtelGen.Activities.ActivityRecorder.IsExported(activity);

    private async Task TraceAsync(HttpContext context)
    {
        HttpServerSpan span;
        try
        {
            span = StartSpan(context);
        }
        catch
        {
            span = default;
        }
        Exception? failure = null;
        try
        {
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
                    Finish(span, context, failure);
                }
            }
            catch
            {
                // Telemetry never throws into the application.
            }
            span.End();
        }
    }

    /// <summary>
    /// ASP.NET Core copies an incoming tracestate onto its request Activity without validating it, and
    /// HttpClient sends the Activity's tracestate on whenever the outgoing request carries none. So when
    /// W3C rules dropped the header (invalid members, duplicate keys, more than 32 members, or an invalid
    /// traceparent), the host's copy is dropped too, or an outgoing call would forward it after all.
    /// </summary>
    private static void AlignHostTraceState(HttpContext context, in SpanContext parent)
    {
        if (HostActivity(context) is { } host)
        {
            string? kept = parent.IsValid ? parent.TraceState : null;
            if (!string.Equals(host.TraceStateString, kept, StringComparison.Ordinal))
            {
                host.TraceStateString = kept;
            }
        }
    }

    /// <summary>
    /// Starts the SERVER span with the runtime's <see cref="HttpServerSpan"/> (semconv attributes, name, status
    /// policy). The span continues the headers (and carries incoming baggage) directly: no context scope is made
    /// current first, which would cost a second async-local change per request.
    /// </summary>
    private static HttpServerSpan StartSpan(HttpContext context)
    {
        HttpRequest request = context.Request;
        IHeaderDictionary headers = request.Headers;
        SpanContext parent = default;
        if (Propagators.TraceContext)
        {
            StringValues traceparents = headers.TraceParent;
            StringValues tracestates = headers.TraceState;
            // Two traceparent headers are invalid (the spec allows one); tracestate may be split over several.
            if (traceparents.Count == 1)
            {
                TraceParent.TryParse(traceparents[0], tracestates.Count == 0 ? null : tracestates.ToString(), out parent);
            }
            if (tracestates.Count > 0)
            {
                AlignHostTraceState(context, parent);
            }
        }
        Baggage baggage = Baggage.Empty;
        if (Propagators.Baggage && headers.Baggage is { Count: > 0 } baggageHeader)
        {
            baggage = BaggageHeader.Parse(baggageHeader.ToString());
        }
        if (!parent.IsValid && HostActivity(context) is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            // A root in the host's trace: a trace id with no span id (see the class comment).
            parent = new SpanContext(TraceId.FromActivityTraceId(activity.TraceId), default, 1);
        }
        // Each read of request.Host looks the header up again and makes a new HostString: read it once.
        HostParts? host = HostPartsOf(request.Host);
        HttpServerRequest attributes = new()
        {
            Method = request.Method,
            Scheme = request.Scheme,
            Path = request.Path.HasValue ? request.Path.Value : "/",
            Query = request.QueryString.HasValue ? request.QueryString.Value!.Substring(1) : null,
            ServerAddress = host?.Name,
            ServerPort = host?.Port ?? 0,
            ClientAddress = ClientAddress(Feature<IHttpConnectionFeature>(context)?.RemoteIpAddress),
            UserAgent = headers.UserAgent.Count > 0 ? headers.UserAgent.ToString() : null,
            ProtocolVersion = HttpServerSemantics.ProtocolVersion(request.Protocol),
        };
        // Absent or invalid headers start a new trace (or a root in the host's), never the ambient context.
        return HttpServerSpan.StartRemote(attributes, parent, baggage);
    }

    /// <summary>
    /// A feature through the collection's <c>Type</c> indexer. <c>Features.Get&lt;T&gt;()</c> of an interface
    /// runs in code shared by all reference types, where Kestrel's chain of <c>typeof(T) ==</c> tests looks
    /// the type up again at each test; the indexer compares the type object it is given.
    /// </summary>
    private static T? Feature<T>(HttpContext context)
        where T : class => context.Features[typeof(T)] as T;

    private static Activity? HostActivity(HttpContext context) => Feature<IHttpActivityFeature>(context)?.Activity;

    /// <summary>A Host header's name and port, parsed once per distinct header.</summary>
    private sealed class HostParts(string header, string name, int? port)
    {
        public readonly string Header = header;
        public readonly string Name = name;
        public readonly int? Port = port;
    }

    // The last Host header and client address seen, with their text: HostString.Host makes a new string on
    // each call (and HostString.Port parses again), and each connection has its own IPAddress (which keeps
    // its own text). Spans keep their attribute strings alive in the ring, so a per-request string there
    // survives collections (the ring is old) and costs far more than its allocation.
    private static HostParts? s_lastHost;
    private static ClientText? s_lastClient;

    private static HostParts? HostPartsOf(HostString host)
    {
        string? header = host.Value;
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }
        HostParts? last = s_lastHost;
        if (last is not null && string.Equals(last.Header, header, StringComparison.Ordinal))
        {
            return last;
        }
        last = new HostParts(header, host.Host, host.Port);
        s_lastHost = last;
        return last;
    }

    private static string? ClientAddress(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }
        ClientText? last = s_lastClient;
        if (last is not null && last.Address.Equals(address))
        {
            return last.Text;
        }
        last = new ClientText(address, address.ToString());
        s_lastClient = last;
        return last.Text;
    }

    /// <summary>A client address and its text, so that the same address seen again gets the same string.</summary>
    private sealed class ClientText(System.Net.IPAddress address, string text)
    {
        public readonly System.Net.IPAddress Address = address;
        public readonly string Text = text;
    }

    // Route templates written without a leading slash ("api/items"), with one: made once per template.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> s_slashed = new(StringComparer.Ordinal);

    private static int s_slashedCount;

    private static string Slashed(string route)
    {
        if (s_slashed.TryGetValue(route, out string? slashed))
        {
            return slashed;
        }
        slashed = "/" + route;
        if (Volatile.Read(ref s_slashedCount) < 1024 && s_slashed.TryAdd(route, slashed))
        {
            Interlocked.Increment(ref s_slashedCount);
        }
        return slashed;
    }

    private static void Finish(HttpServerSpan span, HttpContext context, Exception? failure)
    {
        string? route = (Feature<IEndpointFeature>(context)?.Endpoint as RouteEndpoint)?.RoutePattern.RawText;
        if (!string.IsNullOrEmpty(route))
        {
            span.SetRoute(route[0] == '/' ? route : Slashed(route));
        }
        if (failure is not null)
        {
            span.RecordException(failure);
        }
        bool started = context.Response.HasStarted;
        // Aborted (the client went away, the connection was reset, the app called Abort): no response
        // will reach the client, so no 500 is recorded that was never sent. A response that had started,
        // though, is only taken as aborted when the request also failed: a client that closes right after
        // reading a complete response cancels RequestAborted too.
        if (context.RequestAborted.IsCancellationRequested && (!started || failure is not null))
        {
            span.SetAborted(started ? context.Response.StatusCode : null);
            return;
        }
        // An exception that escapes becomes a 500 from the server unless the response had started.
        span.SetStatusCode(failure is not null && !started ? 500 : context.Response.StatusCode);
    }
}
