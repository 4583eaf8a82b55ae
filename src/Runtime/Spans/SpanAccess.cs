namespace OtelGen.Spans;

/// <summary>
/// What the public span API does not offer yet: a start time taken before the span's parent was known.
/// A queue claim learns which trace it belongs to only from the row it claimed, so the workflow sample
/// starts the <c>db.claim_execution</c> span after the statement returns and moves its start back to
/// when the statement was sent.
/// </summary>
internal static class SpanAccess
{
    /// <summary>Moves the current span's start back to <paramref name="startUnixNano"/> (never forward).</summary>
    public static void SetStartTime(long startUnixNano)
    {
        ActiveSpan? span = SpanContexts.CurrentSpan();
        if (span is not null && startUnixNano > 0 && startUnixNano < span.Record.StartUnixNano)
        {
            span.Record.StartUnixNano = startUnixNano;
        }
    }
}
