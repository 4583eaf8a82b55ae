using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// An independent protobuf wire-format decoder for the tests: bytes become a tree of fields, guided by a
/// small schema of the OTLP trace messages (which fields are embedded messages). It shares no code with
/// the exporter.
/// </summary>
internal sealed class ProtoNode
{
    public int Field;
    public int WireType;
    public ulong Number;           // varint, fixed32, fixed64
    public byte[] Bytes = Array.Empty<byte>();
    public List<ProtoNode>? Children; // when the schema says message
    public string Type = "";

    public IEnumerable<ProtoNode> All(int field) => Children?.Where(c => c.Field == field) ?? Enumerable.Empty<ProtoNode>();
    public ProtoNode? One(int field) => All(field).SingleOrDefault();
    public string Text => Encoding.UTF8.GetString(Bytes);
}

internal static class ProtoTree
{
    // message type -> field -> embedded message type
    private static readonly Dictionary<string, Dictionary<int, string>> s_schema = new()
    {
        ["ExportTraceServiceRequest"] = new() { [1] = "ResourceSpans" },
        ["ResourceSpans"] = new() { [1] = "Resource", [2] = "ScopeSpans" },
        ["Resource"] = new() { [1] = "KeyValue" },
        ["ScopeSpans"] = new() { [1] = "InstrumentationScope", [2] = "Span" },
        ["InstrumentationScope"] = new() { [3] = "KeyValue" },
        ["Span"] = new() { [9] = "KeyValue", [11] = "Event", [13] = "Link", [15] = "Status" },
        ["Event"] = new() { [3] = "KeyValue" },
        ["Link"] = new() { [4] = "KeyValue" },
        ["Status"] = new(),
        ["KeyValue"] = new() { [2] = "AnyValue" },
        ["AnyValue"] = new() { [5] = "ArrayValue", [6] = "KeyValueList" },
        ["ArrayValue"] = new() { [1] = "AnyValue" },
        ["KeyValueList"] = new() { [1] = "KeyValue" },
    };

    public static ProtoNode Decode(byte[] bytes, string type = "ExportTraceServiceRequest")
    {
        var root = new ProtoNode { Type = type, Bytes = bytes };
        root.Children = DecodeMessage(bytes, type);
        return root;
    }

    private static List<ProtoNode> DecodeMessage(ReadOnlySpan<byte> data, string type)
    {
        var fields = new List<ProtoNode>();
        int position = 0;
        while (position < data.Length)
        {
            ulong key = Varint(data, ref position);
            var node = new ProtoNode { Field = (int)(key >> 3), WireType = (int)(key & 7) };
            switch (node.WireType)
            {
                case 0:
                    node.Number = Varint(data, ref position);
                    break;
                case 1:
                    node.Number = BitConverter.ToUInt64(data.Slice(position, 8));
                    position += 8;
                    break;
                case 5:
                    node.Number = BitConverter.ToUInt32(data.Slice(position, 4));
                    position += 4;
                    break;
                case 2:
                    int length = checked((int)Varint(data, ref position));
                    node.Bytes = data.Slice(position, length).ToArray();
                    position += length;
                    if (s_schema[type].TryGetValue(node.Field, out string? child))
                    {
                        node.Type = child;
                        node.Children = DecodeMessage(node.Bytes, child);
                    }
                    break;
                default:
                    throw new FormatException($"wire type {node.WireType} in {type}");
            }
            fields.Add(node);
        }
        if (position != data.Length)
        {
            throw new FormatException("message overran its length");
        }
        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    /// <summary>
    /// A canonical text of a message for comparison: fields in number order, proto3 defaults (0, empty)
    /// left out as proto3 does, KeyValues sorted by key and spans by span id (order carries no meaning there).
    /// </summary>
    public static string Canonical(ProtoNode node, Func<ProtoNode, bool>? skip = null)
    {
        var builder = new StringBuilder();
        Write(node, builder, 0, skip);
        return builder.ToString();
    }

    private static void Write(ProtoNode node, StringBuilder builder, int depth, Func<ProtoNode, bool>? skip)
    {
        IEnumerable<ProtoNode> children = node.Children!.Where(c => skip is null || !skip(c));
        var ordered = children
            .GroupBy(c => c.Field)
            .OrderBy(g => g.Key)
            .SelectMany(g => g.First().Type is "KeyValue"
                ? g.OrderBy(c => c.One(1)?.Text, StringComparer.Ordinal)
                : g.First().Type is "Span" ? g.OrderBy(c => Convert.ToHexString(c.One(2)?.Bytes ?? Array.Empty<byte>()), StringComparer.Ordinal)
                : (IEnumerable<ProtoNode>)g);
        foreach (ProtoNode child in ordered)
        {
            if (child.Children is null && node.Type != "AnyValue" && IsDefault(child))
            {
                continue;
            }
            builder.Append(' ', depth * 2).Append(node.Type).Append('.').Append(child.Field.ToString(CultureInfo.InvariantCulture)).Append(" = ");
            if (child.Children is not null)
            {
                builder.Append('{').Append(child.Type).Append("}\n");
                Write(child, builder, depth + 1, skip);
            }
            else if (child.WireType == 2)
            {
                builder.Append(LooksLikeText(child.Bytes) ? "\"" + child.Text + "\"" : "0x" + Convert.ToHexString(child.Bytes)).Append('\n');
            }
            else
            {
                builder.Append(child.Number.ToString(CultureInfo.InvariantCulture)).Append(" (wt").Append(child.WireType).Append(")\n");
            }
        }
    }

    private static bool IsDefault(ProtoNode node) => node.WireType == 2 ? node.Bytes.Length == 0 : node.Number == 0;

    private static bool LooksLikeText(byte[] bytes) => bytes.All(b => b >= 0x20 && b < 0x7F);
}
