using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using OtelGen;
using OtelGen.Spans;

// HelloTrace: a few instrumented methods, then the trace tree this process recorded.
// Export: set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 (and OTEL_SERVICE_NAME) to send the spans
// to any OTLP collector; they are flushed when the program exits.
var shop = new Shop();
await shop.CheckoutAsync(orderId: 42);
try
{
    shop.Refund(orderId: -1);
}
catch (ArgumentOutOfRangeException)
{
    // Recorded on the span as an exception event; rethrown unchanged.
}

TracePrinter.Print(Tracing.Ring.Snapshot());

public sealed class Shop
{
    private readonly Database _db = new();

    [Traced("checkout", Kind = ActivityKind.Server)]
    public async Task CheckoutAsync([Tag("app.order.id")] int orderId)
    {
        Validate(orderId);
        string order = await _db.GetOrderAsync(orderId);
        int[] prices = PriceLines(order);
        Tracing.CurrentSpan.SetAttribute("app.order.total", prices.Sum());
    }

    [Traced]
    public void Validate(int orderId)
    {
        using var rule = Tracing.StartSpan("validate.rules");
        rule.SetAttribute("app.rule.count", 3L);
    }

    [Traced]
    public int[] PriceLines(string order)
    {
        var prices = new int[4];
        Parallel.For(0, prices.Length, i => prices[i] = Price(i));
        return prices;
    }

    [Traced]
    public int Price(int line) => (line + 1) * 10;

    [Traced]
    public void Refund(int orderId)
    {
        if (orderId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(orderId), orderId, "No such order.");
        }
    }
}

public sealed class Database
{
    [Effect("db.get", Target = "order")]
    public async Task<string> GetOrderAsync(int id)
    {
        await Task.Delay(15);
        return "order-" + id;
    }
}

internal static class TracePrinter
{
    public static void Print(List<SpanRecord> spans)
    {
        foreach (IGrouping<TraceId, SpanRecord> trace in spans.GroupBy(s => s.TraceId))
        {
            Console.WriteLine($"trace {trace.Key}");
            var ids = trace.Select(s => s.SpanId).ToHashSet();
            foreach (SpanRecord root in trace.Where(s => !ids.Contains(s.ParentSpanId)).OrderBy(s => s.StartUnixNano))
            {
                Print(root, trace.ToList(), depth: 1);
            }
        }
    }

    private static void Print(SpanRecord span, List<SpanRecord> trace, int depth)
    {
        string status = span.StatusCode == SpanStatusCode.Error ? "  ERROR " + span.StatusMessage : string.Empty;
        Console.WriteLine($"{new string(' ', depth * 2)}{span.Name} ({span.Kind}, {span.DurationNanos / 1e6:0.000} ms){status}");
        foreach (SpanRecord child in trace.Where(s => s.ParentSpanId == span.SpanId).OrderBy(s => s.StartUnixNano))
        {
            Print(child, trace, depth + 1);
        }
    }
}
