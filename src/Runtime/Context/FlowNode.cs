using System.Diagnostics;
using System.Threading;
using OtelGen.Spans;

namespace OtelGen.Context;

/// <summary>
/// What an async flow carries: the current span's context (immutable, so a task that outlives its parent
/// still sees the right ids), the live span for enrichment while it is open, and the baggage.
/// </summary>
internal sealed class FlowNode
{
    public static readonly AsyncLocal<FlowNode?> Current = new();

    public readonly SpanContext Context;
    public readonly ActiveSpan? Span;
    public readonly Baggage Baggage;
    // Activity.Current when the span started: an Activity current later in this flow is inside the span if
    // its parent chain leads here (see AmbientContext.ResolveParent).
    public readonly Activity? AmbientActivity;

    public FlowNode(SpanContext context, ActiveSpan? span, Baggage baggage, Activity? ambientActivity = null)
    {
        AmbientActivity = ambientActivity;
        Context = context;
        Span = span;
        Baggage = baggage;
    }

    /// <summary>The live span if it is still the one this node was made for (spans are reused).</summary>
    public ActiveSpan? LiveSpan
    {
        get
        {
            ActiveSpan? span = Span;
            return span is not null && span.IsOpen && span.Record.SpanId == Context.SpanId ? span : null;
        }
    }
}
