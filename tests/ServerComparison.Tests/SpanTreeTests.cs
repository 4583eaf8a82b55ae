using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OtelGen.Benchmarks.AspNetCore;
using OtelGen.Spans;
using Xunit;
using Xunit.Abstractions;

namespace OtelGen.ServerComparison.Tests;

/// <summary>
/// The side-by-side check (tests/Benchmarks/aspnetcore/compare-check.sh) divides CPU by spans: it is fair only if
/// both servers record the same spans. Each route is requested from OtelGen's BlogServer (MeasuredBlogServer) and
/// from tests/ServerComparison (OpenTelemetry .NET), both on Kestrel on 127.0.0.1, and the two trees are compared:
/// names, kinds, parent structure, statuses, attribute keys and (where they do not vary from run to run) values,
/// event names and their attribute keys.
/// </summary>
public sealed class SpanTreeTests
{
    private readonly ITestOutputHelper _output;

    public SpanTreeTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// With the promotion thresholds at 0 every queue wait and park becomes a child span (two more spans on the post
    /// route: the HTTP effect's queue wait and park; the others' queue waits, three), far above none is: both are
    /// deterministic, where the default 5 ms depends on timing.
    /// </summary>
    [Theory]
    [InlineData(0.0, 9 + 4)]
    [InlineData(600_000.0, 9)]
    public async Task Both_servers_record_the_same_span_tree_for_every_measured_route(double promoteMs, int postSpans)
    {
        string[] routes = { "/blogs/posts/1", "/stub/comments/1", "/bench/nested/3" };
        OtelGen.Jobs.JobSettings.PromoteQueueMs = promoteMs;
        OtelGen.Jobs.JobSettings.PromoteParkMs = promoteMs;
        ActivityEffectQueue.PromoteQueue = TimeSpan.FromMilliseconds(promoteMs);
        ActivityEffectQueue.PromotePark = TimeSpan.FromMilliseconds(promoteMs);
        _expected["/blogs/posts/1"] = postSpans;
        var otelGen = new Dictionary<string, SpanNode>();
        var openTelemetry = new Dictionary<string, SpanNode>();

        Environment.SetEnvironmentVariable("BLOG_DB_DELAY_MS", "0");
        Tracing.Enable();
        await using (WebApplication app = MeasuredApp.Build(new[] { "--urls", "http://127.0.0.1:0" }))
        {
            await app.StartAsync();
            string url = BlogServer.BlogApp.SelfUrl(app.Services.GetRequiredService<IServer>());
            foreach (string route in routes)
            {
                otelGen[route] = await OtelGenTreeAsync(url, route);
            }
            await app.StopAsync();
        }

        Tracing.Disable();
        try
        {
            var exporter = new CollectingExporter();
            await using WebApplication app = ComparisonApp.Build(new[] { "--urls", "http://127.0.0.1:0" }, exporter);
            await app.StartAsync();
            string url = BlogServer.BlogApp.SelfUrl(app.Services.GetRequiredService<IServer>());
            TracerProvider provider = app.Services.GetRequiredService<TracerProvider>();
            foreach (string route in routes)
            {
                openTelemetry[route] = await OpenTelemetryTreeAsync(url, route, exporter, provider);
            }
            await app.StopAsync();
        }
        finally
        {
            Tracing.Enable();
        }

        foreach (string route in routes)
        {
            string expected = otelGen[route].Render();
            string actual = openTelemetry[route].Render();
            _output.WriteLine($"{route}, OtelGen:\n{expected}\n{route}, OpenTelemetry .NET:\n{actual}");
            Assert.Equal(expected, actual);
        }
        // The routes' sizes: the post route's nine spans (and the promoted ones), one, and 1 + 3 spans.
        Assert.Equal(postSpans, otelGen["/blogs/posts/1"].Count);
        Assert.Equal(1, otelGen["/stub/comments/1"].Count);
        Assert.Equal(4, otelGen["/bench/nested/3"].Count);
    }

    private async Task<SpanNode> OtelGenTreeAsync(string url, string route)
    {
        using var client = new HttpClient();
        (await client.GetAsync(url + route)).EnsureSuccessStatusCode();
        // The root is the SERVER span of the route the test asked for (no traceparent sent, so it has no parent).
        for (int i = 0; i < 500; i++)
        {
            List<SpanRecord> all = Tracing.Ring.Snapshot().ToList();
            SpanRecord? root = all.LastOrDefault(s => s.Kind == ActivityKind.Server && !s.ParentSpanId.IsValid && s.TryGetAttribute("url.path", out AttributeValue path) && path.ToString() == route);
            if (root is not null)
            {
                List<SpanRecord> trace = all.Where(s => s.TraceId == root.TraceId).ToList();
                SpanNode tree = SpanNode.FromOtelGen(root, trace);
                if (tree.Count == ExpectedCount(route))
                {
                    return tree;
                }
            }
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException("OtelGen's spans for " + route + " did not all arrive: " + string.Join(", ", Tracing.Ring.Snapshot().Select(s => s.Name)));
    }

    private async Task<SpanNode> OpenTelemetryTreeAsync(string url, string route, CollectingExporter exporter, TracerProvider provider)
    {
        exporter.Clear();
        using var client = new HttpClient();
        // The test's own request is not part of the server's tree (the SDK would record it as a CLIENT parent).
        using (SuppressInstrumentationScope.Begin())
        {
            (await client.GetAsync(url + route)).EnsureSuccessStatusCode();
        }
        for (int i = 0; i < 500; i++)
        {
            provider.ForceFlush();
            List<Activity> all = exporter.Spans();
            Activity? root = all.LastOrDefault(a => a.Kind == ActivityKind.Server && a.ParentSpanId == default && a.GetTagItem("url.path") as string == route);
            if (root is not null)
            {
                SpanNode tree = SpanNode.FromActivity(root, all.Where(a => a.TraceId == root.TraceId).ToList());
                if (tree.Count == ExpectedCount(route))
                {
                    return tree;
                }
            }
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException("OpenTelemetry's spans for " + route + " did not all arrive: " + string.Join(", ", exporter.Spans().Select(a => a.DisplayName)));
    }

    private readonly Dictionary<string, int> _expected = new() { ["/stub/comments/1"] = 1, ["/bench/nested/3"] = 4 };

    private int ExpectedCount(string route) => _expected[route];

    private sealed class CollectingExporter : BaseExporter<Activity>
    {
        private readonly List<Activity> _spans = new();

        public override ExportResult Export(in Batch<Activity> batch)
        {
            lock (_spans)
            {
                foreach (Activity activity in batch)
                {
                    _spans.Add(activity);
                }
            }
            return ExportResult.Success;
        }

        public List<Activity> Spans()
        {
            lock (_spans)
            {
                return _spans.ToList();
            }
        }

        public void Clear()
        {
            lock (_spans)
            {
                _spans.Clear();
            }
        }
    }
}
