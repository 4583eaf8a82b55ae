using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen;

/// <summary>
/// Spans from code, for regions that are not a whole method, and the current span from anywhere.
/// <code>
/// using var span = Tracer.StartSpan("validate_order");          // synchronous region, no allocation
/// span.SetAttribute("order.id", orderId);
///
/// using var work = Tracer.StartAsyncSpan("load_all");           // a region that awaits
/// await LoadAsync();
///
/// Tracer.CurrentSpan.SetAttribute("order.id", orderId);        // enrich the span a [Traced] method opened
/// string? traceId = Tracer.CurrentSpan.TraceId;                // for logs and responses
/// </code>
/// </summary>
public static class Tracer
{
    /// <summary>
    /// Starts a span for a synchronous region. The returned scope is a ref struct: the compiler keeps it
    /// from crossing an <c>await</c>; use <see cref="StartAsyncSpan"/> for regions that await.
    /// </summary>
    public static SpanScope StartSpan(string name, SpanKind kind = SpanKind.Internal) =>
        SpanScope.Start(null, name, kind, flow: false);

    /// <summary>
    /// Starts a span for a region that awaits or forks: it is current for the async flow until disposed,
    /// so spans after an <c>await</c> and in <c>Task.Run</c> find it. Costs an execution-context change.
    /// </summary>
    public static AsyncSpanScope StartAsyncSpan(string name, SpanKind kind = SpanKind.Internal) =>
        AsyncSpanScope.Start(null, name, kind);

    /// <summary>The innermost open span in this flow, generated or from code (a no-op handle when there is none).</summary>
    public static SpanHandle CurrentSpan => new(AmbientContext.CurrentSpan());

    /// <summary>The current trace context, including one continued from a remote parent.</summary>
    public static SpanContext CurrentContext => TraceContext.Current;
}
