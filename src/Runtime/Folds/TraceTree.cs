using System;
using System.Collections.Generic;
using OtelGen.Spans;

namespace OtelGen.Folds;

/// <summary>
/// One span in a <see cref="TraceTree"/>: the record, its place in the tree (parent, children ordered by
/// start time, depth) and its times corrected for clock skew between processes.
/// </summary>
public sealed class SpanNode
{
    private static readonly List<SpanNode> s_noChildren = new(0);
    private List<SpanNode>? _children;

    internal SpanNode(SpanRecord? span, string name)
    {
        Span = span;
        Name = name;
    }

    /// <summary>The span, or null for the synthetic root that holds a trace's orphans and extra roots.</summary>
    public SpanRecord? Span { get; }

    /// <summary>True for the synthetic root (no span of its own).</summary>
    public bool IsSynthetic => Span is null;

    /// <summary>The span name, or a description for the synthetic root.</summary>
    public string Name { get; }

    /// <summary>The parent node, or null for the tree's root.</summary>
    public SpanNode? Parent { get; internal set; }

    /// <summary>Children, ordered by (skew-corrected) start time, then span id.</summary>
    public IReadOnlyList<SpanNode> Children => _children ?? s_noChildren;

    /// <summary>0 for the tree's root.</summary>
    public int Depth { get; internal set; }

    /// <summary>
    /// True when the span names a parent that is not in the snapshot (evicted from the ring, still
    /// running, or in a process whose spans were not collected): it hangs under the synthetic root.
    /// </summary>
    public bool IsOrphan { get; internal set; }

    /// <summary>
    /// Nanoseconds added to this span's times to place it inside its parent when the two came from
    /// processes whose clocks disagree (0 when no correction was needed).
    /// </summary>
    public long SkewNanos { get; internal set; }

    /// <summary>Start time, Unix nanoseconds, after skew correction.</summary>
    public long StartUnixNano { get; internal set; }

    /// <summary>End time, Unix nanoseconds, after skew correction (never before the start).</summary>
    public long EndUnixNano { get; internal set; }

    /// <summary>Duration in nanoseconds (0 or more).</summary>
    public long DurationNanos => EndUnixNano - StartUnixNano;

    internal void AddChild(SpanNode child) => (_children ??= new List<SpanNode>(2)).Add(child);

    internal List<SpanNode>? ChildList => _children;

    /// <inheritdoc/>
    public override string ToString() => new string(' ', Depth * 2) + Name + (IsOrphan ? " (orphan)" : "");
}

/// <summary>
/// One trace as a tree: a single <see cref="Root"/>, which is the trace's root span when the snapshot holds
/// exactly one root and every parent, and otherwise a synthetic node under which the roots and the orphans
/// (spans whose parent is missing) hang in start order. No span of the snapshot is ever dropped.
/// </summary>
public sealed class TraceTree
{
    internal TraceTree(TraceId traceId, SpanNode root, SpanNode[] nodes, int orphanCount, int skewCorrections)
    {
        TraceId = traceId;
        Root = root;
        Nodes = nodes;
        OrphanCount = orphanCount;
        SkewCorrections = skewCorrections;
    }

    /// <summary>The trace id.</summary>
    public TraceId TraceId { get; }

    /// <summary>The root: a real span, or synthetic (see <see cref="SpanNode.IsSynthetic"/>).</summary>
    public SpanNode Root { get; }

    /// <summary>Every node in depth-first order (parents before children, siblings by start time), root first.</summary>
    public IReadOnlyList<SpanNode> Nodes { get; }

    /// <summary>How many real spans the trace has (the synthetic root is not counted).</summary>
    public int SpanCount => Root.IsSynthetic ? Nodes.Count - 1 : Nodes.Count;

    /// <summary>Spans whose parent is missing from the snapshot.</summary>
    public int OrphanCount { get; }

    /// <summary>Spans moved to fit inside a parent from another process (clock skew).</summary>
    public int SkewCorrections { get; }

    /// <summary>Earliest (corrected) start in the trace, Unix nanoseconds.</summary>
    public long StartUnixNano => Root.StartUnixNano;

    /// <summary>Latest (corrected) end in the trace, Unix nanoseconds.</summary>
    public long EndUnixNano => Root.EndUnixNano;

    /// <summary>The name shown for a synthetic root.</summary>
    public const string SyntheticRootName = "(trace: missing or several roots)";
}

/// <summary>
/// What a walk over a <see cref="TraceForest"/> feeds: each node once, parents before children. A fold
/// that needs the whole trace (a renderer) takes a <see cref="TraceTree"/> directly instead.
/// </summary>
public interface ISpanFold
{
    /// <summary>Takes one node of <paramref name="trace"/>.</summary>
    void Add(TraceTree trace, SpanNode node);
}

/// <summary>
/// Every trace of a snapshot, each built into a <see cref="TraceTree"/> once; folds (the SVG waterfall,
/// route aggregates, exporters) then read the trees. Traces are ordered by start time, then trace id.
/// </summary>
public sealed class TraceForest
{
    private TraceForest(List<TraceTree> traces, int spanCount)
    {
        Traces = traces;
        SpanCount = spanCount;
    }

    /// <summary>The traces, by start time.</summary>
    public IReadOnlyList<TraceTree> Traces { get; }

    /// <summary>How many spans went in.</summary>
    public int SpanCount { get; }

    /// <summary>The tree of <paramref name="traceId"/>, or null.</summary>
    public TraceTree? Find(TraceId traceId)
    {
        foreach (TraceTree trace in Traces)
        {
            if (trace.TraceId == traceId)
            {
                return trace;
            }
        }
        return null;
    }

    /// <summary>One walk over every node of every trace, feeding each fold in turn.</summary>
    public void Walk(params ISpanFold[] folds)
    {
        foreach (TraceTree trace in Traces)
        {
            foreach (SpanNode node in trace.Nodes)
            {
                foreach (ISpanFold fold in folds)
                {
                    fold.Add(trace, node);
                }
            }
        }
    }

    /// <summary>Builds the trees of a snapshot (for example <see cref="SpanRing.Snapshot"/>). The records are kept, not copied.</summary>
    public static TraceForest Build(IReadOnlyList<SpanRecord> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        // Group by trace, keeping first-seen order inside a group (stable, so output is deterministic).
        var groups = new Dictionary<TraceId, List<SpanRecord>>();
        for (int i = 0; i < spans.Count; i++)
        {
            SpanRecord span = spans[i];
            if (!groups.TryGetValue(span.TraceId, out List<SpanRecord>? group))
            {
                group = new List<SpanRecord>();
                groups.Add(span.TraceId, group);
            }
            group.Add(span);
        }
        var traces = new List<TraceTree>(groups.Count);
        var byId = new Dictionary<SpanId, SpanNode>();
        foreach (KeyValuePair<TraceId, List<SpanRecord>> group in groups)
        {
            traces.Add(BuildOne(group.Key, group.Value, byId));
        }
        traces.Sort(static (a, b) =>
        {
            int c = a.StartUnixNano.CompareTo(b.StartUnixNano);
            if (c != 0)
            {
                return c;
            }
            c = a.TraceId.High.CompareTo(b.TraceId.High);
            return c != 0 ? c : a.TraceId.Low.CompareTo(b.TraceId.Low);
        });
        return new TraceForest(traces, spans.Count);
    }

    /// <summary>Builds the tree of one trace's spans.</summary>
    public static TraceTree BuildTrace(IReadOnlyList<SpanRecord> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        if (spans.Count == 0)
        {
            throw new ArgumentException("A trace has at least one span.", nameof(spans));
        }
        var list = new List<SpanRecord>(spans);
        return BuildOne(spans[0].TraceId, list, new Dictionary<SpanId, SpanNode>());
    }

    private static readonly Comparison<SpanNode> s_byStart = static (a, b) =>
    {
        int c = a.StartUnixNano.CompareTo(b.StartUnixNano);
        if (c != 0)
        {
            return c;
        }
        c = (a.Span?.SpanId.Value ?? 0).CompareTo(b.Span?.SpanId.Value ?? 0);
        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    };

    private static TraceTree BuildOne(TraceId traceId, List<SpanRecord> spans, Dictionary<SpanId, SpanNode> byId)
    {
        byId.Clear();
        var nodes = new SpanNode[spans.Count];
        for (int i = 0; i < spans.Count; i++)
        {
            SpanRecord span = spans[i];
            var node = new SpanNode(span, span.Name)
            {
                StartUnixNano = span.StartUnixNano,
                // A span that ended "before" it started (a broken clock) is shown with zero length.
                EndUnixNano = Math.Max(span.StartUnixNano, span.EndUnixNano),
            };
            nodes[i] = node;
            // A duplicate id (the same span twice) keeps the first as the parent target; both are shown.
            byId.TryAdd(span.SpanId, node);
        }

        var tops = new List<SpanNode>();
        int orphans = 0;
        foreach (SpanNode node in nodes)
        {
            SpanRecord span = node.Span!;
            if (!span.ParentSpanId.IsValid)
            {
                tops.Add(node);
            }
            else if (byId.TryGetValue(span.ParentSpanId, out SpanNode? parent) && !ReferenceEquals(parent, node))
            {
                node.Parent = parent;
                parent.AddChild(node);
            }
            else if (span.ParentIsRemote)
            {
                // The entry span of this process, called from elsewhere: a root here, not an orphan.
                tops.Add(node);
            }
            else
            {
                node.IsOrphan = true;
                orphans++;
                tops.Add(node);
            }
        }

        // Parent links that form a cycle (corrupt data) leave nodes unreachable from any top: break the
        // cycle at its earliest member and show it as an orphan, so that nothing is dropped.
        var visited = new HashSet<SpanNode>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<SpanNode>();
        foreach (SpanNode top in tops)
        {
            Mark(top, visited, stack);
        }
        if (visited.Count < nodes.Length)
        {
            foreach (SpanNode node in nodes)
            {
                if (!visited.Contains(node))
                {
                    node.Parent!.ChildList!.Remove(node);
                    node.Parent = null;
                    node.IsOrphan = true;
                    orphans++;
                    tops.Add(node);
                    Mark(node, visited, stack);
                }
            }
        }

        SpanNode root;
        if (tops.Count == 1 && orphans == 0)
        {
            root = tops[0];
        }
        else
        {
            root = new SpanNode(null, TraceTree.SyntheticRootName);
            foreach (SpanNode top in tops)
            {
                top.Parent = root;
                root.AddChild(top);
            }
        }

        int corrections = 0;
        var ordered = new SpanNode[root.IsSynthetic ? nodes.Length + 1 : nodes.Length];
        int count = 0;
        // Iterative depth-first walk: skew-correct each child against its (already corrected) parent,
        // sort siblings, and lay nodes out in display order. Deep traces cannot overflow the stack.
        stack.Clear();
        stack.Push(root);
        root.Depth = 0;
        while (stack.Count > 0)
        {
            SpanNode node = stack.Pop();
            ordered[count++] = node;
            List<SpanNode>? children = node.ChildList;
            if (children is null)
            {
                continue;
            }
            foreach (SpanNode child in children)
            {
                child.Depth = node.Depth + 1;
                if (node.Span is not null && child.Span is { ParentIsRemote: true })
                {
                    if (CorrectSkew(node, child))
                    {
                        corrections++;
                    }
                }
                else if (node.SkewNanos != 0 && !child.IsOrphan)
                {
                    // Same process as a shifted parent: same clock, same shift.
                    Shift(child, node.SkewNanos);
                }
            }
            children.Sort(s_byStart);
            for (int i = children.Count - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }

        if (root.IsSynthetic)
        {
            long start = long.MaxValue, end = long.MinValue;
            foreach (SpanNode top in root.ChildList!)
            {
                start = Math.Min(start, top.StartUnixNano);
            }
            for (int i = 1; i < count; i++)
            {
                end = Math.Max(end, ordered[i].EndUnixNano);
            }
            root.StartUnixNano = start;
            root.EndUnixNano = Math.Max(start, end);
        }
        return new TraceTree(traceId, root, ordered, orphans, corrections);
    }

    private static void Mark(SpanNode from, HashSet<SpanNode> visited, Stack<SpanNode> stack)
    {
        stack.Clear();
        stack.Push(from);
        while (stack.Count > 0)
        {
            SpanNode node = stack.Pop();
            if (!visited.Add(node) || node.ChildList is null)
            {
                continue;
            }
            foreach (SpanNode child in node.ChildList)
            {
                stack.Push(child);
            }
        }
    }

    /// <summary>
    /// A child from another process that starts before its parent or ends after it has a clock that
    /// disagrees with the parent's (a network call cannot be answered before it is made). Like Jaeger,
    /// centre it in the parent when it fits, otherwise align the starts. Children in its own process are
    /// shifted with it when they are visited.
    /// </summary>
    private static bool CorrectSkew(SpanNode parent, SpanNode child)
    {
        if (child.StartUnixNano >= parent.StartUnixNano && child.EndUnixNano <= parent.EndUnixNano)
        {
            return false;
        }
        long parentDuration = parent.DurationNanos;
        long childDuration = child.DurationNanos;
        long target = childDuration <= parentDuration
            ? parent.StartUnixNano + (parentDuration - childDuration) / 2
            : parent.StartUnixNano;
        Shift(child, target - child.StartUnixNano);
        return true;
    }

    private static void Shift(SpanNode node, long delta)
    {
        node.SkewNanos += delta;
        node.StartUnixNano += delta;
        node.EndUnixNano += delta;
    }
}
