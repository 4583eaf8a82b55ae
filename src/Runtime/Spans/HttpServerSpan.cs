using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// The SERVER span of an HTTP request, named <c>{method} {route}</c> and carrying the stable HTTP semantic
/// conventions (<c>http.request.method</c>, <c>http.response.status_code</c>, <c>http.route</c>,
/// <c>url.scheme</c>, <c>url.path</c>, <c>server.address</c>, <c>server.port</c>, <c>client.address</c>,
/// <c>user_agent.original</c>, <c>network.protocol.version</c>), with the SERVER status policy (ERROR only
/// for 5xx). Start it where the request arrives; it is current for the request's async flow until
/// <see cref="End"/>. The static <c>Apply…</c> methods do the same naming and attributes on a span
/// started another way.
/// </summary>
public readonly struct HttpServerSpan : IDisposable
{
    private const int MaxCachedNames = 2048;
    private static readonly ConcurrentDictionary<(string Method, string Route), string> s_names = new();
    // In front of s_names: the last names made, found by the route string's identity. Servers pass the
    // same route object (the endpoint's template) on every request, so a hit costs no string hashing.
    private static readonly NameEntry?[] s_recentNames = new NameEntry?[64];
    private static int s_nameCount;
    private static int s_emitOld = -1;

    private readonly SpanRef _span;

    private HttpServerSpan(ActiveSpan span)
    {
        _span = new SpanRef(span);
    }

    /// <summary>
    /// Also emit the attribute keys of the old HTTP conventions (<c>http.method</c>, <c>http.status_code</c>,
    /// <c>http.scheme</c>, <c>http.target</c>, <c>net.host.name</c>, <c>net.host.port</c>,
    /// <c>net.sock.peer.addr</c>, <c>http.user_agent</c>, <c>http.flavor</c>) next to the stable ones, for
    /// dashboards being migrated. Defaults to on when <c>OTEL_SEMCONV_STABILITY_OPT_IN</c> contains
    /// <c>http/dup</c>, as in the OpenTelemetry SDKs; setting it from code overrides that.
    /// </summary>
    public static bool EmitOldAttributes
    {
        get
        {
            int value = Volatile.Read(ref s_emitOld);
            if (value < 0)
            {
                value = ReadOptIn() ? 1 : 0;
                Volatile.Write(ref s_emitOld, value);
            }
            return value == 1;
        }
        set => Volatile.Write(ref s_emitOld, value ? 1 : 0);
    }

    /// <summary>
    /// Starts the SERVER span of a request as a child of <paramref name="parent"/> (a context that arrived in
    /// headers), or of the current context when it is not valid, and makes it current for the async flow.
    /// </summary>
    public static HttpServerSpan Start(in HttpServerRequest request, SpanContext parent = default) => Start(request, parent, orCurrent: true);

    /// <summary>
    /// Starts the SERVER span continuing the W3C <c>traceparent</c>/<c>tracestate</c> headers of the request.
    /// When they are absent or invalid the span is the root of a new trace: a request that carries no
    /// context does not inherit whatever is ambient in the server (a host's own activity, say).
    /// </summary>
    public static HttpServerSpan Start(in HttpServerRequest request, string? traceparent, string? tracestate = null)
    {
        TraceParent.TryParse(traceparent, tracestate, out SpanContext parent);
        return Start(request, parent, orCurrent: false);
    }

    /// <summary>
    /// Like <see cref="Start(in HttpServerRequest, string?, string?)"/> for headers the caller already parsed
    /// (<see cref="TraceParent.TryParse(string?, string?, out SpanContext)"/>): continues <paramref name="remoteParent"/>,
    /// or starts a new trace when it is not valid, never the ambient context.
    /// </summary>
    public static HttpServerSpan StartRemote(in HttpServerRequest request, in SpanContext remoteParent) => Start(request, remoteParent, orCurrent: false);

    /// <summary>
    /// Like <see cref="StartRemote(in HttpServerRequest, in SpanContext)"/>, with the baggage that came with the
    /// request (<see cref="BaggageHeader.Parse(string?)"/>): the span and its children carry it, with no context
    /// scope made current first. A <paramref name="remoteParent"/> with a trace id and no span id makes the span
    /// a root in that trace (a host's own request Activity, say).
    /// </summary>
    public static HttpServerSpan StartRemote(in HttpServerRequest request, in SpanContext remoteParent, Baggage baggage) =>
        Start(request, remoteParent, orCurrent: false, baggage);

    private static HttpServerSpan Start(in HttpServerRequest request, in SpanContext parent, bool orCurrent, Baggage? remoteBaggage = null)
    {
        if (!SpanSink.IsEnabled)
        {
            return default;
        }
        try
        {
            SpanContext resolved;
            ExecutionContext? executionContext;
            FlowNode? node;
            Baggage baggage;
            Activity? ambient;
            if (parent.IsValid || !orCurrent)
            {
                // The parent came with the request: only the flow to restore and its baggage are needed, not
                // the ambient parent (looking that up reads a host Activity's ids, a cost on every request).
                executionContext = ExecutionContext.Capture();
                node = FlowNode.Current.Value;
                baggage = remoteBaggage ?? node?.Baggage ?? Baggage.Empty;
                resolved = parent;
                ambient = Activity.Current;
            }
            else
            {
                resolved = AmbientContext.ResolveParent(SpanStack.Current, out executionContext, out node, out baggage, out ambient);
            }
            ActiveSpan span = ActiveSpanPool.Rent();
            span.Begin(null, SpanName(request.Method, request.Route), ActivityKind.Server, resolved, baggage);
            span.AmbientActivity = ambient;
            if (span.Recording)
            {
                ApplyRequest(span.Record, request);
            }
            AmbientContext.SetFlow(span, node, executionContext);
            return new HttpServerSpan(span);
        }
        catch
        {
            // Telemetry never throws into the application.
            return default;
        }
    }

    private ActiveSpan? Live => _span.Open;

    /// <summary>False when tracing is off or the trace is not sampled.</summary>
    public bool IsRecording => Live is { Recording: true };

    /// <summary>The span's context (default when tracing is off).</summary>
    public SpanContext Context => Live is { } s ? s.Context : default;

    /// <summary>Sets the route once routing has matched it: <c>http.route</c>, and the span name becomes <c>{method} {route}</c>.</summary>
    public void SetRoute(string? route)
    {
        if (Live is { Recording: true } span)
        {
            ApplyRoute(span.Record, route);
        }
    }

    /// <summary>Sets <c>http.response.status_code</c> and the status: ERROR (with <c>error.type</c>) for 5xx, UNSET otherwise.</summary>
    public void SetStatusCode(int statusCode)
    {
        if (Live is { Recording: true } span)
        {
            ApplyStatusCode(span.Record, statusCode);
        }
    }

    /// <summary>Sets any other attribute.</summary>
    public void SetAttribute(string key, AttributeValue value) => Live?.Record.SetAttribute(key, value);

    /// <summary>
    /// Records the <c>exception</c> event and <c>error.type</c>. The status still follows the response:
    /// if no status code is set before <see cref="End"/>, the request failed unhandled and the span is ERROR.
    /// </summary>
    public void RecordException(Exception exception)
    {
        if (Live is { Recording: true } span && exception is not null)
        {
            SpanStatusPolicy.RecordExceptionEvent(span.Record, exception, SpanClock.NowUnixNanos());
            span.Record.StatusMessage = exception.Message;
        }
    }

    /// <summary>
    /// The request was aborted (the client went away, the connection was reset) before it completed. Per the
    /// HTTP semantic conventions the span is ERROR with <c>error.type</c> <c>request_aborted</c>, and carries
    /// <c>http.response.status_code</c> only if a response had started (<paramref name="sentStatusCode"/>; null
    /// when none was sent). Not a 5xx: the route aggregates do not count it among their errors.
    /// </summary>
    internal void SetAborted(int? sentStatusCode)
    {
        if (Live is not { Recording: true } span)
        {
            return;
        }
        SpanRecord record = span.Record;
        if (sentStatusCode is { } code)
        {
            ApplyStatusCode(record, code);
            if (code >= 500)
            {
                return; // a server error was sent before the abort: that is what the span reports
            }
        }
        record.SetAttribute("error.type", SpanStatusPolicy.RequestAbortedErrorType);
        record.StatusCode = SpanStatusCode.Error;
        record.StatusMessage ??= "The request was aborted before it completed.";
    }

    /// <summary>Ends the span and puts the caller's flow back. Call it from the flow that started it; safe to call twice.</summary>
    public void End()
    {
        if (Live is not { } span)
        {
            return;
        }
        try
        {
            SpanRecord record = span.Record;
            if (span.Recording && !record.TryGetAttribute("http.response.status_code", out _) && record.TryGetAttribute("error.type", out _))
            {
                // An exception and no response: the request failed unhandled.
                record.StatusCode = SpanStatusCode.Error;
            }
            if (record.StatusCode != SpanStatusCode.Error)
            {
                record.StatusMessage = null;
            }
            AmbientContext.RestoreFlow(span);
            span.End();
            ActiveSpanPool.Return(span);
        }
        catch
        {
            // Telemetry never throws into the application.
        }
    }

    /// <summary>Same as <see cref="End"/>.</summary>
    public void Dispose() => End();

    /// <summary>Names a span started another way as an HTTP server span and sets the request attributes.</summary>
    public static void ApplyRequest(in SpanScope scope, in HttpServerRequest request)
    {
        if (scope.LiveSpan is { Recording: true } span)
        {
            span.Record.Kind = ActivityKind.Server;
            span.Record.Name = SpanName(request.Method, request.Route);
            ApplyRequest(span.Record, request);
        }
    }

    /// <summary>Names an async span as an HTTP server span and sets the request attributes.</summary>
    public static void ApplyRequest(AsyncSpanScope scope, in HttpServerRequest request)
    {
        if (scope.LiveSpan is { Recording: true } span)
        {
            span.Record.Kind = ActivityKind.Server;
            span.Record.Name = SpanName(request.Method, request.Route);
            ApplyRequest(span.Record, request);
        }
    }

    /// <summary>Sets the response status code and the SERVER status policy on a span started another way.</summary>
    public static void ApplyStatusCode(in SpanScope scope, int statusCode)
    {
        if (scope.LiveSpan is { Recording: true } span)
        {
            ApplyStatusCode(span.Record, statusCode);
        }
    }

    /// <summary>Sets the response status code and the SERVER status policy on an async span.</summary>
    public static void ApplyStatusCode(AsyncSpanScope scope, int statusCode)
    {
        if (scope.LiveSpan is { Recording: true } span)
        {
            ApplyStatusCode(span.Record, statusCode);
        }
    }

    /// <summary>
    /// The span name: <c>{method} {route}</c>, just <c>{method}</c> without a route, and <c>HTTP</c> for
    /// an unknown method (semantic conventions). Cached per pair, so steady traffic allocates no names.
    /// </summary>
    public static string SpanName(string? method, string? route)
    {
        string known = NormalizeMethod(method, out _);
        if (known == "_OTHER")
        {
            known = "HTTP";
        }
        if (string.IsNullOrEmpty(route))
        {
            return known;
        }
        // known is one of NormalizeMethod's literals, so its identity stands for its value.
        int slot = (RuntimeHelpers.GetHashCode(route) ^ RuntimeHelpers.GetHashCode(known)) & (s_recentNames.Length - 1);
        NameEntry? recent = Volatile.Read(ref s_recentNames[slot]);
        if (recent is not null && ReferenceEquals(recent.Route, route) && ReferenceEquals(recent.Method, known))
        {
            return recent.Name;
        }
        bool added = false;
        if (!s_names.TryGetValue((known, route), out string? name))
        {
            name = known + " " + route;
            // A counter, not s_names.Count (which takes every bucket's lock).
            if (Volatile.Read(ref s_nameCount) >= MaxCachedNames)
            {
                // Not templates (too many distinct routes): remember none of them.
                return name;
            }
            if (s_names.TryAdd((known, route), name))
            {
                Interlocked.Increment(ref s_nameCount);
                added = true;
            }
        }
        // Only a new name or a free slot takes an entry: a caller passing an equal but new route string each
        // time, or two routes sharing a slot, must not allocate an entry per call.
        if (added || recent is null)
        {
            Volatile.Write(ref s_recentNames[slot], new NameEntry(known, route, name));
        }
        return name;
    }

    private sealed class NameEntry(string method, string route, string name)
    {
        public readonly string Method = method;
        public readonly string Route = route;
        public readonly string Name = name;
    }

    /// <summary>
    /// The value of <c>http.request.method</c>: one of the methods HTTP defines (case-sensitive, as the
    /// conventions require), or <c>_OTHER</c> with <paramref name="isOther"/> true.
    /// </summary>
    public static string NormalizeMethod(string? method, out bool isOther)
    {
        isOther = false;
        switch (method)
        {
            case "GET": return "GET";
            case "POST": return "POST";
            case "PUT": return "PUT";
            case "DELETE": return "DELETE";
            case "HEAD": return "HEAD";
            case "PATCH": return "PATCH";
            case "OPTIONS": return "OPTIONS";
            case "CONNECT": return "CONNECT";
            case "TRACE": return "TRACE";
            case "QUERY": return "QUERY";
            default:
                isOther = true;
                return "_OTHER";
        }
    }

    internal static void ApplyRequest(SpanRecord record, in HttpServerRequest request)
    {
        bool old = EmitOldAttributes;
        string method = NormalizeMethod(request.Method, out bool isOther);
        record.SetAttribute("http.request.method", method);
        if (isOther && request.Method is not null)
        {
            record.SetAttribute("http.request.method_original", request.Method);
        }
        if (!string.IsNullOrEmpty(request.Route))
        {
            record.SetAttribute("http.route", request.Route);
        }
        SetIfPresent(record, "url.scheme", request.Scheme);
        SetIfPresent(record, "url.path", request.Path);
        SetIfPresent(record, "url.query", request.Query);
        SetIfPresent(record, "server.address", request.ServerAddress);
        if (request.ServerPort > 0)
        {
            record.SetAttribute("server.port", (long)request.ServerPort);
        }
        SetIfPresent(record, "client.address", request.ClientAddress);
        SetIfPresent(record, "user_agent.original", request.UserAgent);
        SetIfPresent(record, "network.protocol.version", request.ProtocolVersion);
        if (old)
        {
            SetIfPresent(record, "http.method", request.Method);
            SetIfPresent(record, "http.scheme", request.Scheme);
            // http.target held path and query; the query is left out rather than concatenated per request.
            SetIfPresent(record, "http.target", request.Path);
            SetIfPresent(record, "net.host.name", request.ServerAddress);
            if (request.ServerPort > 0)
            {
                record.SetAttribute("net.host.port", (long)request.ServerPort);
            }
            SetIfPresent(record, "net.sock.peer.addr", request.ClientAddress);
            SetIfPresent(record, "http.user_agent", request.UserAgent);
            SetIfPresent(record, "http.flavor", request.ProtocolVersion);
        }
    }

    internal static void ApplyRoute(SpanRecord record, string? route)
    {
        if (string.IsNullOrEmpty(route))
        {
            return;
        }
        record.SetAttribute("http.route", route);
        string? method = record.TryGetAttribute("http.request.method", out AttributeValue value) && value.Type == AttributeType.String ? value.AsString() : null;
        record.Name = SpanName(method, route);
    }

    internal static void ApplyStatusCode(SpanRecord record, int statusCode)
    {
        record.SetAttribute("http.response.status_code", (long)statusCode);
        if (EmitOldAttributes)
        {
            record.SetAttribute("http.status_code", (long)statusCode);
        }
        record.StatusCode = SpanStatusPolicy.ForHttpServer(statusCode);
        if (SpanStatusPolicy.HttpServerErrorType(statusCode) is { } errorType)
        {
            // An exception's type, when one was recorded, says more than the status code.
            if (!record.TryGetAttribute("error.type", out _))
            {
                record.SetAttribute("error.type", errorType);
            }
        }
        else
        {
            record.StatusMessage = null;
        }
    }

    private static void SetIfPresent(SpanRecord record, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            record.SetAttribute(key, value);
        }
    }

    internal static bool ReadOptIn()
    {
        string? optIn = EnvironmentSettings.Get("OTEL_SEMCONV_STABILITY_OPT_IN");
        if (optIn is null)
        {
            return false;
        }
        foreach (string part in optIn.Split(','))
        {
            if (part.Trim().Equals("http/dup", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
