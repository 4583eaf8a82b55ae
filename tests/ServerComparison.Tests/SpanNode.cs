using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using OtelGen.Spans;

namespace OtelGen.ServerComparison.Tests;

/// <summary>
/// One span of a tree, reduced to what both tracers must agree on, from either an OtelGen record or an Activity.
/// Values that differ from run to run (times, durations, ports, ids, addresses) are compared by kind only.
/// </summary>
internal sealed class SpanNode
{
    // Attributes whose values change between runs or servers: only that the key is there (and its type) is compared.
    private static readonly HashSet<string> Varying = new(StringComparer.Ordinal)
    {
        "server.port", "client.port", "client.address", "network.peer.port", "network.peer.address", "url.full",
        "user_agent.original", "job.queue_wait_ms", "job.dispatch_ms", "job.park_wait_ms_total", "job.run_active_ms",
        "job.park.wait_ms", "job.queue_depth",
    };

    public string Name = "";
    public ActivityKind Kind;
    public string Status = "";
    public SortedDictionary<string, string> Attributes = new(StringComparer.Ordinal);
    public List<string> Events = new();
    public List<SpanNode> Children = new();

    public int Count => 1 + Children.Sum(c => c.Count);

    public static SpanNode FromOtelGen(SpanRecord span, List<SpanRecord> trace)
    {
        var node = new SpanNode { Name = span.Name, Kind = span.Kind, Status = span.StatusCode.ToString().ToUpperInvariant() };
        for (int i = 0; i < span.TotalAttributeCount; i++)
        {
            ref readonly KeyValue kv = ref span.AttributeAt(i);
            node.Attributes[kv.Key] = Value(kv.Key, kv.Value.Type.ToString(), kv.Value.ToString());
        }
        for (int i = 0; i < span.EventCount; i++)
        {
            SpanEvent e = span.Events[i];
            var keys = new List<string>();
            for (int j = 0; j < e.AttributeCount; j++)
            {
                keys.Add(span.NestedAttributes[e.AttributeStart + j].Key);
            }
            node.Events.Add(e.Name + "{" + string.Join(",", keys.Order(StringComparer.Ordinal)) + "}");
        }
        foreach (SpanRecord child in trace.Where(s => s.ParentSpanId == span.SpanId))
        {
            node.Children.Add(FromOtelGen(child, trace));
        }
        return node;
    }

    public static SpanNode FromActivity(Activity activity, List<Activity> trace)
    {
        string status = activity.Status switch
        {
            ActivityStatusCode.Ok => "OK",
            ActivityStatusCode.Error => "ERROR",
            _ => "UNSET",
        };
        var node = new SpanNode { Name = activity.DisplayName, Kind = activity.Kind, Status = status };
        foreach (KeyValuePair<string, object?> tag in activity.TagObjects)
        {
            node.Attributes[tag.Key] = Value(tag.Key, TypeOf(tag.Value), Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "");
        }
        foreach (ActivityEvent e in activity.Events)
        {
            node.Events.Add(e.Name + "{" + string.Join(",", e.Tags.Select(t => t.Key).Order(StringComparer.Ordinal)) + "}");
        }
        foreach (Activity child in trace.Where(a => a.ParentSpanId == activity.SpanId))
        {
            node.Children.Add(FromActivity(child, trace));
        }
        return node;
    }

    // OtelGen's attribute types by the names of its AttributeType values.
    private static string TypeOf(object? value) => value switch
    {
        string => "String",
        bool => "Bool",
        long or int or short or byte => "Long",
        double or float => "Double",
        _ => value?.GetType().Name ?? "null",
    };

    private static string Value(string key, string type, string text) => Varying.Contains(key) ? type : type + ":" + text;

    /// <summary>The tree as indented text, children in name order: two equal trees render equally.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        Render(text, 0);
        return text.ToString();
    }

    private void Render(StringBuilder text, int depth)
    {
        string indent = new(' ', depth * 2);
        text.Append(indent).Append(Name).Append(" [").Append(Kind).Append(", ").Append(Status).Append(']').AppendLine();
        foreach (KeyValuePair<string, string> a in Attributes)
        {
            text.Append(indent).Append("  @").Append(a.Key).Append('=').Append(a.Value).AppendLine();
        }
        foreach (string e in Events)
        {
            text.Append(indent).Append("  !").Append(e).AppendLine();
        }
        foreach (SpanNode child in Children.OrderBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Render(), StringComparer.Ordinal))
        {
            child.Render(text, depth + 1);
        }
    }
}
