using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// An app for the dashboard's debugging views: <c>/checkout</c> records a child span with hostile and
/// typed attributes, an event, an exception with a stack trace, ERROR status and a link; <c>/fast</c> is
/// quick and OK; <c>/slow</c> waits 80 ms.
/// </summary>
internal static class DebugApp
{
    public const string Hostile = "<script>alert(\"x\")</script> it's \"quoted\" & <b>bold</b>";
    public const string ChildName = "charge card";
    public const string CacheKey = "user:<42>";

    /// <summary>The three requests, each with its own trace id; the checkout links to the fast one.</summary>
    public sealed record Traces(TraceId Fast, TraceId Checkout, TraceId Slow);

    public static async Task<RunningApp> StartAsync(Action<OtelGenAspNetCoreOptions>? configure = null)
    {
        WebApplication app = RunningApp.NewBuilder(configure).Build();
        app.MapGet("/fast", () => Results.Ok("fast"));
        app.MapGet("/slow", async () =>
        {
            await Task.Delay(80);
            return Results.Ok("slow");
        });
        app.MapGet("/checkout/{id:int}", (HttpContext context, int id) =>
        {
            TraceId.TryParse(context.Request.Query["link"].ToString(), out TraceId linked);
            using (SpanScope scope = Tracing.StartSpan(ChildName))
            {
                scope.SetAttribute("payment.note", Hostile);
                scope.SetAttribute("retry.count", 3L);
                scope.SetAttribute("payment.amount", 12.5);
                scope.SetAttribute("payment.captured", false);
                scope.Span.SetAttribute("payment.tags", new[] { "card", "<b>" });
                scope.Span.SetAttribute("payment.attempts", new long[] { 1, 2 });
                scope.Span.AddEvent("cache.miss", new[] { new KeyValue("cache.key", CacheKey) });
                if (linked.IsValid)
                {
                    scope.Span.AddLink(new SpanContext(linked, SpanId.NewRandom(), 1), new[] { new KeyValue("link.reason", "retry of <previous>") });
                }
                try
                {
                    ThrowDeclined(id);
                }
                catch (InvalidOperationException e)
                {
                    scope.RecordException(e);
                    scope.SetStatus(SpanStatusCode.Error, "card declined: <insufficient funds>");
                }
            }
            return Results.Ok("checked out");
        });
        app.MapOtelGenDashboard();
        return await RunningApp.StartAsync(app);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDeclined(int id) => throw new InvalidOperationException("card " + id + " declined");

    /// <summary>Makes the three requests and waits until each SERVER span (and the checkout's child) is in the ring.</summary>
    public static async Task<Traces> RequestAllAsync(RunningApp app)
    {
        TraceId fast = Spans.NewTraceId(), checkout = Spans.NewTraceId(), slow = Spans.NewTraceId();
        await SendAsync(app, "/fast", fast);
        await SendAsync(app, "/checkout/7?link=" + fast.ToHexString(), checkout);
        await SendAsync(app, "/slow", slow);
        foreach (TraceId id in new[] { fast, checkout, slow })
        {
            await Spans.WaitForAsync(s => s.TraceId == id && s.Kind == System.Diagnostics.ActivityKind.Server);
        }
        await Spans.WaitForAsync(s => s.TraceId == checkout && s.Name == ChildName);
        return new Traces(fast, checkout, slow);
    }

    /// <summary>Resource attributes given to an exporter in code (one hostile value), and its service name.</summary>
    public const string ResourceKey = "deployment.environment.name";
    public const string ResourceValue = "<staging> & \"blue\" it's";
    public const string CodeServiceName = "checkout-from-code";

    /// <summary>
    /// Starts the process's OTLP exporter from code (to a JSON lines file in a temporary directory, so nothing needs a
    /// collector) with <see cref="ResourceAttributes"/> and <see cref="CodeServiceName"/>; disposing shuts it down and
    /// deletes the file.
    /// </summary>
    public sealed class ExporterFromCode : IDisposable
    {
        private readonly string _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "otelgen-dashboard-" + Guid.NewGuid().ToString("N"));

        public ExporterFromCode()
        {
            System.IO.Directory.CreateDirectory(_directory);
            var options = new OtelGen.Export.OtlpExporterOptions
            {
                FilePath = System.IO.Path.Combine(_directory, "spans.jsonl"),
                ServiceName = CodeServiceName,
                FlushOnProcessExit = false,
            };
            options.ResourceAttributes.Add(new KeyValue(ResourceKey, ResourceValue));
            options.ResourceAttributes.Add(new KeyValue("service.namespace", "shop"));
            Exporter = OtelGen.Export.OtlpExporter.Start(options) ?? throw new InvalidOperationException("the exporter did not start");
        }

        public OtelGen.Export.OtlpExporter Exporter { get; }

        public void Dispose()
        {
            Exporter.Shutdown(TimeSpan.FromSeconds(10));
            try
            {
                System.IO.Directory.Delete(_directory, recursive: true);
            }
            catch (System.IO.IOException)
            {
            }
        }
    }

    private static async Task SendAsync(RunningApp app, string path, TraceId traceId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
