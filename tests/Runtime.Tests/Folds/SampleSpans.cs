using System.Collections.Generic;
using System.Diagnostics;
using OtelGen.Spans;

namespace OtelGen.Runtime.Tests.Folds;

/// <summary>Builds span records with explicit ids and times (never the global ring).</summary>
internal static class SampleSpans
{
    public const long T0 = 1_700_000_000_000_000_000;
    public const long Ms = 1_000_000;

    public static readonly TraceId Trace1 = new(0x0af7651916cd43dd, 0x8448eb211c80319c);
    public static readonly TraceId Trace2 = new(0x1111111111111111, 0x2222222222222222);

    public static SpanRecord Span(TraceId trace, ulong id, ulong parent, string name, double startMs, double endMs,
        ActivityKind kind = ActivityKind.Internal, SpanStatusCode status = SpanStatusCode.Unset, bool remoteParent = false)
    {
        return new SpanRecord
        {
            TraceId = trace,
            SpanId = new SpanId(id),
            ParentSpanId = new SpanId(parent),
            ParentIsRemote = remoteParent,
            TraceFlags = 1,
            Name = name,
            Kind = kind,
            StartUnixNano = T0 + (long)(startMs * Ms),
            EndUnixNano = T0 + (long)(endMs * Ms),
            StatusCode = status,
        };
    }

    /// <summary>A web request: GET /posts/{id} loading a post, its comments, and a job that parked.</summary>
    public static List<SpanRecord> WebRequest()
    {
        var server = Span(Trace1, 0x10, 0, "GET /posts/{id}", 0, 48.5, ActivityKind.Server);
        server.SetAttribute("http.request.method", "GET");
        server.SetAttribute("http.route", "/posts/{id}");
        server.SetAttribute("http.response.status_code", 200L);
        server.SetAttribute("url.path", "/posts/42");
        var load = Span(Trace1, 0x11, 0x10, "PostService.Load", 1.2, 30.1);
        var dbPost = Span(Trace1, 0x12, 0x11, "SELECT blog_post", 1.5, 9.8, ActivityKind.Client);
        dbPost.SetAttribute("db.system.name", "postgresql");
        dbPost.SetAttribute("db.operation.name", "SELECT");
        dbPost.SetAttribute("db.collection.name", "blog_post");
        var dbComments = Span(Trace1, 0x13, 0x11, "SELECT comment", 10.2, 29.0, ActivityKind.Client, SpanStatusCode.Error);
        dbComments.StatusMessage = "timeout <after 18 ms>";
        dbComments.SetAttribute("error.type", "Npgsql.NpgsqlException");
        dbComments.AddEvent("exception", T0 + (long)(28.9 * Ms), new KeyValue[] { new("exception.type", "Npgsql.NpgsqlException"), new("exception.message", "timeout") });
        var render = Span(Trace1, 0x14, 0x10, "Render <script>alert(1)</script> & \"quotes\"", 30.5, 31.0);
        var job = Span(Trace1, 0x15, 0x10, "ThumbnailJob", 31.5, 47.0, ActivityKind.Consumer);
        job.AddEvent("enqueued", T0 + (long)(31.5 * Ms));
        job.AddEvent("started", T0 + (long)(38.0 * Ms));
        job.AddEvent("parked", T0 + (long)(40.0 * Ms), new KeyValue[] { new("job.park.cause", "io") });
        job.AddEvent("resumed", T0 + (long)(45.0 * Ms));
        job.AddEvent("completed", T0 + (long)(47.0 * Ms));
        var queueWait = Span(Trace1, 0x16, 0x15, "job.queue_wait", 31.5, 38.0);
        var park = Span(Trace1, 0x17, 0x15, "job.park", 40.0, 45.0);
        var tiny = Span(Trace1, 0x18, 0x10, "cache.get", 47.5, 47.501, ActivityKind.Client);
        return new List<SpanRecord> { server, load, dbPost, dbComments, render, job, queueWait, park, tiny };
    }
}
