using System.Runtime.CompilerServices;

namespace OtelGen.Spans;

/// <summary>
/// One use of a pooled <see cref="ActiveSpan"/>: the span and the generation it had when the reference was
/// taken. <see cref="ActiveSpan.End"/> clears <c>IsOpen</c> and then bumps the generation, so once the span has
/// ended (and perhaps started again for someone else) the reference reads null: a stale scope, handle or job
/// cannot touch a reused span. What every scope and handle holds instead of writing the check out.
/// </summary>
internal readonly struct SpanRef
{
    private readonly ActiveSpan? _span;
    private readonly int _generation;

    /// <summary>A reference to <paramref name="span"/> as it is now (started).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal SpanRef(ActiveSpan span)
    {
        _span = span;
        _generation = span.Generation;
    }

    /// <summary>A reference to <paramref name="span"/> as it is now, or to nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static SpanRef To(ActiveSpan? span) => span is null ? default : new SpanRef(span);

    /// <summary>
    /// The span while this use of it lasts, or null. For references read on the thread that ends the span
    /// (the generated scopes): there the generation alone tells, and the hot path reads one field less.
    /// </summary>
    internal ActiveSpan? Live
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _span is { } s && s.Generation == _generation ? s : null;
    }

    /// <summary>
    /// The span while this use of it lasts and it is open, or null. For references another thread may read
    /// while the span ends (handles, jobs, request spans): <c>IsOpen</c> goes false before the generation moves.
    /// </summary>
    internal ActiveSpan? Open
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _span is { } s && s.Generation == _generation && s.IsOpen ? s : null;
    }
}
