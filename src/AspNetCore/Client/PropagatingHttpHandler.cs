using System;
using System.Diagnostics;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.AspNetCore;

/// <summary>
/// An HttpClient handler that records each outgoing request as a CLIENT span (HTTP semantic conventions)
/// and sends the span's context on: <c>traceparent</c>, <c>tracestate</c> and <c>baggage</c>. Headers
/// already on the request are replaced, so the receiver always sees this span as its parent.
/// Register it for every client with <c>services.AddOtelGen()</c> (or
/// <see cref="OtelGenServiceCollectionExtensions.AddOtelGenHttpClientPropagation"/>), or wrap a handler yourself:
/// <c>new HttpClient(new PropagatingHttpHandler(new SocketsHttpHandler()))</c>.
/// </summary>
public sealed class PropagatingHttpHandler : DelegatingHandler
{
    /// <summary>For use with <c>IHttpClientFactory</c>, which sets the inner handler.</summary>
    public PropagatingHttpHandler()
    {
    }

    /// <summary>Wraps <paramref name="innerHandler"/>.</summary>
    public PropagatingHttpHandler(HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
    }

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!Tracing.IsEnabled || OtelGen.Activities.ActivityRecorder.RecordsHttpClient)
        {
            // Off, or HttpClient's own Activity is recorded (System.Net.Http in OTELGEN_ACTIVITY_SOURCES): that is
            // the CLIENT span, and HttpClient sends it as the parent; a span here would be the request twice.
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        string method = HttpServerSpan.NormalizeMethod(request.Method.Method, out bool isOther);
        using AsyncSpanScope span = Tracing.StartAsyncSpan(isOther ? "HTTP" : method, ActivityKind.Client);
        // The span was made current just now, so the baggage it carries is the current baggage.
        Inject(request, span.Context, span.Context.IsValid ? span.Baggage : TraceContext.CurrentBaggage);
        if (span.IsRecording)
        {
            RecordRequest(span, request, method, isOther);
        }
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            span.Span.RecordException(ex);
            throw;
        }
        try
        {
            int status = (int)response.StatusCode;
            span.SetAttribute("http.response.status_code", status);
            // Client status policy: any 4xx or 5xx is an error for the caller.
            if (status >= 400)
            {
                span.SetAttribute("error.type", Server.HttpServerSemantics.StatusText(status));
                span.Span.SetStatus(SpanStatusCode.Error);
            }
        }
        catch
        {
            // Telemetry never throws into the application.
        }
        return response;
    }

    private static void Inject(HttpRequestMessage request, SpanContext context, Baggage currentBaggage)
    {
        try
        {
            var headers = request.Headers;
            if (Propagators.TraceContext)
            {
                headers.Remove("traceparent");
                headers.Remove("tracestate");
                if (!context.IsValid)
                {
                    // Tracing produced no span (sampled out at the source): send the current context on as is.
                    context = TraceContext.Current;
                }
                if (context.IsValid)
                {
                    headers.TryAddWithoutValidation("traceparent", TraceParent.Format(context));
                    if (!string.IsNullOrEmpty(context.TraceState))
                    {
                        headers.TryAddWithoutValidation("tracestate", context.TraceState);
                    }
                }
            }
            if (Propagators.Baggage && BaggageHeader.Format(currentBaggage) is { } baggage)
            {
                headers.Remove("baggage");
                headers.TryAddWithoutValidation("baggage", baggage);
            }
        }
        catch
        {
            // A header that cannot be set must not fail the call.
        }
    }

    private static void RecordRequest(AsyncSpanScope span, HttpRequestMessage request, string method, bool isOther)
    {
        span.SetAttribute("http.request.method", method);
        if (isOther)
        {
            span.SetAttribute("http.request.method_original", request.Method.Method);
        }
        if (request.RequestUri is { IsAbsoluteUri: true } uri)
        {
            UrlStrings url = UrlStringsOf(uri);
            span.SetAttribute("server.address", url.Host);
            span.SetAttribute("server.port", uri.Port);
            span.SetAttribute("url.full", url.Full);
        }
        if (request.Version.Major > 0)
        {
            span.SetAttribute("network.protocol.version", request.Version.Major == 1 ? (request.Version.Minor == 0 ? "1.0" : "1.1") : request.Version.Major.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    // The attribute strings of the last URL called. Uri.Host and Uri.AbsoluteUri make new strings for each
    // new Uri (a client makes one per request), and the span ring keeps them alive past collections; a
    // client that calls the same URL again reuses them.
    private static UrlStrings? s_lastUrl;

    private sealed class UrlStrings(string original, string full, string host)
    {
        public readonly string Original = original;
        public readonly string Full = full;
        public readonly string Host = host;
    }

    private static UrlStrings UrlStringsOf(Uri uri)
    {
        string original = uri.OriginalString;
        UrlStrings? last = s_lastUrl;
        if (last is not null && string.Equals(last.Original, original, StringComparison.Ordinal))
        {
            return last;
        }
        last = new UrlStrings(original, Redact(uri), uri.Host);
        s_lastUrl = last;
        return last;
    }

    // Credentials in a URL never go into telemetry (semconv: url.full must not carry user info).
    private static string Redact(Uri uri) =>
        string.IsNullOrEmpty(uri.UserInfo) ? uri.AbsoluteUri : uri.AbsoluteUri.Replace(uri.UserInfo + "@", "REDACTED:REDACTED@", StringComparison.Ordinal);
}
