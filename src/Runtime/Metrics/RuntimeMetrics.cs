using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OtelGen.Configuration;
using OtelGen.Spans;

namespace OtelGen.Metrics;

/// <summary>
/// OtelGen's instruments on the <c>OtelGen</c> meter, named and measured as the semantic conventions
/// say (durations in seconds), so that <c>dotnet-counters</c>, the OpenTelemetry SDK and
/// <see cref="MetricsCollector"/> all see them. The request and database durations are recorded live
/// from span ends. The job metrics (<c>otelgen.job.queue_wait</c>, <c>otelgen.job.park_wait</c>,
/// <c>otelgen.job.run_active</c>, <c>otelgen.job.parks</c>) and the exporter's (<c>otelgen.exporter.*</c>)
/// are defined where they are measured, on meters of the same name, and collected the same way.
/// </summary>
public static class RuntimeMetrics
{
    /// <summary>The meter name (also the instrumentation scope in OTLP).</summary>
    public const string MeterName = "OtelGen";

    [ThreadStatic]
    private static SpanRecord? t_ending;

    // Boxed status codes and their strings, made once: recording a request allocates nothing.
    private static readonly object?[] s_statusBoxes = new object?[600];
    private static readonly string?[] s_statusStrings = new string?[600];

    /// <summary>The meter.</summary>
    public static Meter Meter { get; } = new(MeterName, typeof(RuntimeMetrics).Assembly.GetName().Version?.ToString(3));

    /// <summary><c>http.server.request.duration</c> (s): SERVER spans with <c>http.request.method</c>.</summary>
    public static Histogram<double> HttpServerRequestDuration { get; } =
        Meter.CreateHistogram<double>("http.server.request.duration", "s", "Duration of HTTP server requests.");

    /// <summary><c>http.client.request.duration</c> (s): CLIENT spans with <c>http.request.method</c>.</summary>
    public static Histogram<double> HttpClientRequestDuration { get; } =
        Meter.CreateHistogram<double>("http.client.request.duration", "s", "Duration of HTTP client requests.");

    /// <summary><c>db.client.operation.duration</c> (s): CLIENT spans with <c>db.system.name</c>.</summary>
    public static Histogram<double> DbClientOperationDuration { get; } =
        Meter.CreateHistogram<double>("db.client.operation.duration", "s", "Duration of database client operations.");

    /// <summary>The span whose end is being measured on this thread, for exemplars.</summary>
    internal static SpanRecord? EndingSpan => t_ending;

    /// <summary>
    /// The live aggregate hook, called by <see cref="Tracing"/> when a SERVER or CLIENT span ends: records
    /// its duration into the matching semantic-conventions histogram, with the span as the exemplar.
    /// Costs a few branches when nobody listens; allocates nothing.
    /// </summary>
    internal static void OnSpanEnd(SpanRecord span)
    {
        try
        {
            if (span.Kind == ActivityKind.Server)
            {
                if (HttpServerRequestDuration.Enabled && span.TryGetAttribute("http.request.method", out AttributeValue method))
                {
                    RecordHttp(HttpServerRequestDuration, span, method, server: true);
                }
            }
            else if (span.Kind == ActivityKind.Client)
            {
                if (DbClientOperationDuration.Enabled && (span.TryGetAttribute("db.system.name", out AttributeValue system) || span.TryGetAttribute("db.system", out system)))
                {
                    RecordDb(span, system);
                }
                else if (HttpClientRequestDuration.Enabled && span.TryGetAttribute("http.request.method", out AttributeValue method))
                {
                    RecordHttp(HttpClientRequestDuration, span, method, server: false);
                }
            }
        }
        catch
        {
            // Telemetry never throws into the application.
        }
        finally
        {
            t_ending = null;
        }
    }

    private static void RecordHttp(Histogram<double> histogram, SpanRecord span, AttributeValue method, bool server)
    {
        var tags = new TagList { { "http.request.method", Tag(method) } };
        long status = 0;
        if (span.TryGetAttribute("http.response.status_code", out AttributeValue code) && code.Type == AttributeType.Long)
        {
            status = code.AsLong();
            tags.Add("http.response.status_code", StatusBox(status));
        }
        if (server)
        {
            AddIfPresent(ref tags, span, "http.route");
        }
        else
        {
            AddIfPresent(ref tags, span, "server.address");
            AddIfPresent(ref tags, span, "server.port");
        }
        AddIfPresent(ref tags, span, "url.scheme");
        AddIfPresent(ref tags, span, "network.protocol.version");
        if (span.TryGetAttribute("error.type", out AttributeValue error))
        {
            tags.Add("error.type", Tag(error));
        }
        else if (status >= (server ? 500 : 400) && status < 600)
        {
            // Semantic conventions: without a better error.type, the status code as a string.
            tags.Add("error.type", StatusString(status));
        }
        Record(histogram, span, tags);
    }

    private static void RecordDb(SpanRecord span, AttributeValue system)
    {
        var tags = new TagList { { "db.system.name", Tag(system) } };
        AddIfPresent(ref tags, span, "db.operation.name");
        AddIfPresent(ref tags, span, "db.collection.name");
        AddIfPresent(ref tags, span, "db.namespace");
        AddIfPresent(ref tags, span, "db.response.status_code");
        AddIfPresent(ref tags, span, "server.address");
        AddIfPresent(ref tags, span, "server.port");
        AddIfPresent(ref tags, span, "error.type");
        Record(DbClientOperationDuration, span, tags);
    }

    private static void Record(Histogram<double> histogram, SpanRecord span, in TagList tags)
    {
        t_ending = span;
        histogram.Record(Math.Max(0, span.DurationNanos) / 1e9, tags);
    }

    private static void AddIfPresent(ref TagList tags, SpanRecord span, string key)
    {
        if (span.TryGetAttribute(key, out AttributeValue value))
        {
            tags.Add(key, Tag(value));
        }
    }

    private static object? Tag(AttributeValue value) => value.Type switch
    {
        AttributeType.String => value.AsString(),
        AttributeType.Long => StatusBox(value.AsLong()),
        _ => value.ToObject(),
    };

    private static object StatusBox(long value)
    {
        if (value < 0 || value >= s_statusBoxes.Length)
        {
            return value;
        }
        return s_statusBoxes[value] ??= value;
    }

    private static string StatusString(long value) =>
        s_statusStrings[value] ??= value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
