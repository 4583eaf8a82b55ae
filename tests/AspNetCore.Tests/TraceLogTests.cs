using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtelGen.AspNetCore.Dashboard;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// An app whose <c>/pay/{id}</c> handler logs (an <see cref="ILogger"/> from DI) in its SERVER span and inside a
/// <c>[Traced]</c> method, with a hostile message.
/// </summary>
internal static class LogApp
{
    public const string ChargeSpan = "log.charge";
    public const string Outer = "handling payment <outer>";
    public const string Hostile = "<script>alert(1)</script>";

    public sealed record Request(TraceId TraceId, SpanId ServerSpan, SpanId ChargeSpan);

    public static async Task<RunningApp> StartAsync()
    {
        WebApplicationBuilder builder = RunningApp.NewBuilder();
        // The app's filters decide what reaches the dashboard's lines too: this app's own Information lines do.
        builder.Logging.AddFilter(typeof(Payments).Namespace, LogLevel.Information);
        WebApplication app = builder.Build();
        app.MapGet("/pay/{id}", (ILogger<Payments> log, int id) =>
        {
            log.LogInformation("handling payment {Note}", "<outer>");
            new Payments(log).Charge(id);
            return "paid";
        });
        app.MapOtelGenDashboard();
        return await RunningApp.StartAsync(app);
    }

    /// <summary>Requests <c>/pay/7</c> in a new trace and waits until its SERVER and <c>[Traced]</c> spans are in the ring.</summary>
    public static async Task<Request> PayAsync(RunningApp app)
    {
        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/pay/7");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        SpanRecord server = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == System.Diagnostics.ActivityKind.Server);
        SpanRecord charge = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Name == ChargeSpan);
        Assert.Equal(server.SpanId, charge.ParentSpanId);
        return new Request(traceId, server.SpanId, charge.SpanId);
    }
}

internal sealed class Payments
{
    private readonly ILogger _log;

    public Payments(ILogger log) => _log = log;

    [Traced(LogApp.ChargeSpan)]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Charge(int id) => _log.LogWarning("charging {Id}: {Note}", id, LogApp.Hostile);
}

/// <summary>The dashboard's log lines: what is logged inside a trace comes back with the trace's JSON, linked to its span.</summary>
public sealed class TraceLogTests
{
    [Fact]
    public async Task Trace_json_has_the_lines_logged_in_its_spans_escaped_and_nothing_logged_outside_a_trace()
    {
        await using RunningApp app = await LogApp.StartAsync();
        TraceLogStore store = app.App.Services.GetRequiredService<TraceLogStore>();

        // Outside any trace (the test's thread): not kept.
        Assert.False(OtelGen.Context.TraceContext.Current.IsValid);
        long before = store.Written;
        app.App.Services.GetRequiredService<ILogger<TraceLogTests>>().LogWarning("no trace here");
        Assert.Equal(before, store.Written);

        LogApp.Request pay = await LogApp.PayAsync(app);
        using HttpResponseMessage response = await app.Client.GetAsync("/otel/api/traces/" + pay.TraceId.ToHexString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", raw);
        Assert.DoesNotContain("<outer>", raw);

        using JsonDocument json = JsonDocument.Parse(raw);
        List<JsonElement> logs = json.RootElement.GetProperty("logs").EnumerateArray().ToList();
        JsonElement outer = Assert.Single(logs, l => l.GetProperty("body").GetString() == LogApp.Outer);
        Assert.Equal("Information", outer.GetProperty("severity").GetString());
        Assert.Equal(pay.ServerSpan.ToHexString(), outer.GetProperty("spanId").GetString());
        JsonElement inner = Assert.Single(logs, l => l.GetProperty("body").GetString() == "charging 7: " + LogApp.Hostile);
        Assert.Equal("Warning", inner.GetProperty("severity").GetString());
        Assert.Equal(pay.ChargeSpan.ToHexString(), inner.GetProperty("spanId").GetString());
        // Time order, within the trace's time.
        long start = json.RootElement.GetProperty("startUnixNano").GetInt64();
        Assert.True(outer.GetProperty("timeUnixNano").GetInt64() <= inner.GetProperty("timeUnixNano").GetInt64());
        Assert.True(logs.IndexOf(outer) < logs.IndexOf(inner));
        Assert.True(outer.GetProperty("timeUnixNano").GetInt64() >= start - 1_000_000_000L);
        Assert.DoesNotContain(logs, l => l.GetProperty("body").GetString() == "no trace here");

        // Another trace has its own lines only.
        LogApp.Request again = await LogApp.PayAsync(app);
        Assert.All(store.LinesOf(again.TraceId), l => Assert.Equal(again.TraceId, l.TraceId));
        Assert.DoesNotContain(store.LinesOf(again.TraceId), l => l.SpanId == pay.ChargeSpan || l.SpanId == pay.ServerSpan);
        Assert.Equal(2, store.LinesOf(pay.TraceId).Count(l => l.Body == LogApp.Outer || l.Body.StartsWith("charging 7", System.StringComparison.Ordinal)));
    }

    [Fact]
    public void Store_keeps_the_last_lines_cut_and_never_throws()
    {
        var store = new TraceLogStore();
        ILogger log = store.CreateLogger("test");
        var trace = new SpanContext(TraceId.NewRandom(), SpanId.NewRandom(), 1);
        for (int i = 0; i < TraceLogStore.Capacity + 10; i++)
        {
            store.Add(trace, LogLevel.Information, "line " + i);
        }
        List<TraceLogLine> lines = store.LinesOf(trace.TraceId);
        Assert.Equal(TraceLogStore.Capacity, lines.Count);
        Assert.Equal("line 10", lines[0].Body);
        Assert.Equal("line " + (TraceLogStore.Capacity + 9), lines[^1].Body);

        store.Add(trace, LogLevel.Error, new string('x', 10_000));
        Assert.Equal(TraceLogStore.MaxBodyLength, store.LinesOf(trace.TraceId)[^1].Body.Length);
        Assert.Equal("Error", store.LinesOf(trace.TraceId)[^1].Severity);

        // Outside a trace, below Information, or a formatter that throws: nothing kept, nothing thrown.
        long written = store.Written;
        log.LogWarning("outside");
        Assert.False(log.IsEnabled(LogLevel.Debug));
        using (Tracing.StartSpan("store.test"))
        {
            log.LogDebug("too low");
            log.Log<string>(LogLevel.Warning, default, "state", null, (_, _) => throw new System.InvalidOperationException("bad formatter"));
        }
        Assert.Equal(written, store.Written);
    }
}
