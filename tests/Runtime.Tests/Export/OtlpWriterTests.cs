using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

public class OtlpWriterTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(127, 1)]
    [InlineData(128, 1)]
    [InlineData(127, 3)]
    [InlineData(16383, 1)]
    [InlineData(16384, 2)]
    [InlineData(300_000, 2)]
    [InlineData(5, 5)]
    public void Nested_message_lengths_are_minimal_varints_whatever_was_reserved(int bodyLength, int reserved)
    {
        using var buffer = new PooledBuffer(16);
        var writer = new ProtobufWriter(buffer);
        writer.WriteUInt32(1, 150);
        writer.BeginMessage(2, reserved);
        writer.BeginMessage(3, 1);
        writer.WriteRaw(Enumerable.Repeat((byte)0x41, bodyLength).ToArray());
        writer.EndMessage();
        writer.EndMessage();
        writer.WriteFixed32(4, 7);

        var expected = new List<byte> { 0x08, 0x96, 0x01, 0x12 };
        var inner = new List<byte> { 0x1A };
        inner.AddRange(Varint((ulong)bodyLength));
        inner.AddRange(Enumerable.Repeat((byte)0x41, bodyLength));
        expected.AddRange(Varint((ulong)inner.Count));
        expected.AddRange(inner);
        expected.AddRange(new byte[] { 0x25, 7, 0, 0, 0 });
        Assert.Equal(expected.ToArray(), buffer.WrittenSpan.ToArray());
        Assert.Equal(0, writer.Depth);
    }

    [Fact]
    public void Scalars_use_the_wire_types_of_the_spec()
    {
        using var buffer = new PooledBuffer();
        var writer = new ProtobufWriter(buffer);
        writer.WriteInt64(1, -1);
        writer.WriteSInt32(2, -1);
        writer.WriteDouble(3, 1.0);
        writer.WriteBool(4, true);
        writer.WriteString(5, "é");
        writer.WriteString(6, new string('é', 100));
        byte[] bytes = buffer.WrittenSpan.ToArray();
        Assert.Equal(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, bytes[..11]);
        Assert.Equal(new byte[] { 0x10, 0x01 }, bytes[11..13]);
        Assert.Equal(new byte[] { 0x19, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F }, bytes[13..22]);
        Assert.Equal(new byte[] { 0x20, 0x01 }, bytes[22..24]);
        Assert.Equal(new byte[] { 0x2A, 0x02, 0xC3, 0xA9 }, bytes[24..28]);
        Assert.Equal(new byte[] { 0x32, 0xC8, 0x01 }, bytes[28..31]);
        Assert.Equal(31 + 200, bytes.Length);
    }

    [Theory]
    [InlineData(ActivityKind.Internal, 1)]
    [InlineData(ActivityKind.Server, 2)]
    [InlineData(ActivityKind.Client, 3)]
    [InlineData(ActivityKind.Producer, 4)]
    [InlineData(ActivityKind.Consumer, 5)]
    [InlineData((ActivityKind)9, 1)]
    public void The_OTLP_kind_is_the_ActivityKind_plus_one_and_INTERNAL_outside_the_enum(ActivityKind kind, int otlp)
    {
        // The test kit's span has a CLIENT site: CLIENT takes the site's cached bytes, the others the span's own.
        SpanRecord span = ExportTestKit.Span(7);
        span.Kind = kind;
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("kinds"));
        using var buffer = new PooledBuffer();
        encoder.EncodeProtobuf(new[] { span }, buffer);
        Assert.Equal((ulong)otlp, ProtoTree.Decode(buffer.WrittenSpan.ToArray()).One(1)!.One(2)!.One(2)!.One(6)!.Number);
        buffer.Clear();
        encoder.EncodeJson(new[] { span }, buffer);
        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal(otlp, document.RootElement.GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans")[0].GetProperty("kind").GetInt32());
    }

    [Fact]
    public void Json_follows_the_OTLP_JSON_mapping()
    {
        SpanRecord span = ExportTestKit.Span(41);
        span.ParentIsRemote = true;
        span.TraceState = "k=v";
        span.StatusCode = SpanStatusCode.Error;
        span.StatusMessage = "bad";
        span.SetAttribute("dbl", 0.25);
        span.SetAttribute("nan", double.NaN);
        span.SetAttribute("flag", false);
        span.SetAttribute("al", AttributeValue.Of(new[] { 1L, -2L }));
        span.AddEvent("ev", 1_700_000_000_000_000_123, new KeyValue[] { new("x", 9L) });
        span.AddLink(new TraceId(1, 2), new SpanId(3), 1, null, default, isRemote: true);
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("json-svc"));
        using var buffer = new PooledBuffer();
        encoder.EncodeJson(new[] { span }, buffer);
        string text = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.DoesNotContain('\n', text);

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        JsonElement resourceSpans = document.RootElement.GetProperty("resourceSpans")[0];
        Assert.Contains(resourceSpans.GetProperty("resource").GetProperty("attributes").EnumerateArray(),
            a => a.GetProperty("key").GetString() == "service.name" && a.GetProperty("value").GetProperty("stringValue").GetString() == "json-svc");
        JsonElement scopeSpans = resourceSpans.GetProperty("scopeSpans")[0];
        Assert.Equal("OtelGen", scopeSpans.GetProperty("scope").GetProperty("name").GetString());
        JsonElement s = scopeSpans.GetProperty("spans")[0];
        Assert.Equal("0102030405060708000000000000002a", s.GetProperty("traceId").GetString());
        Assert.Equal("000000000000002a", s.GetProperty("spanId").GetString());
        Assert.Equal("0000000000abcdef", s.GetProperty("parentSpanId").GetString());
        Assert.Equal("k=v", s.GetProperty("traceState").GetString());
        Assert.Equal(JsonValueKind.Number, s.GetProperty("kind").ValueKind);
        Assert.Equal(3, s.GetProperty("kind").GetInt32());
        Assert.Equal(0x301u, s.GetProperty("flags").GetUInt32());
        Assert.Equal("1700000000000041000", s.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal("1700000000000041500", s.GetProperty("endTimeUnixNano").GetString());
        var attributes = s.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal("postgresql", attributes["db.system.name"].GetProperty("stringValue").GetString());
        Assert.Equal("41", attributes["n"].GetProperty("intValue").GetString());
        Assert.Equal(0.25, attributes["dbl"].GetProperty("doubleValue").GetDouble());
        Assert.Equal("NaN", attributes["nan"].GetProperty("doubleValue").GetString());
        Assert.False(attributes["flag"].GetProperty("boolValue").GetBoolean());
        Assert.Equal(new[] { "1", "-2" }, attributes["al"].GetProperty("arrayValue").GetProperty("values").EnumerateArray().Select(v => v.GetProperty("intValue").GetString()));
        JsonElement e = s.GetProperty("events")[0];
        Assert.Equal("1700000000000000123", e.GetProperty("timeUnixNano").GetString());
        Assert.Equal("9", e.GetProperty("attributes")[0].GetProperty("value").GetProperty("intValue").GetString());
        JsonElement link = s.GetProperty("links")[0];
        Assert.Equal("00000000000000010000000000000002", link.GetProperty("traceId").GetString());
        Assert.Equal(0x301u, link.GetProperty("flags").GetUInt32());
        Assert.Equal(2, s.GetProperty("status").GetProperty("code").GetInt32());
        Assert.Equal("bad", s.GetProperty("status").GetProperty("message").GetString());
    }

    [Fact]
    public void Encoding_a_batch_allocates_nothing_in_steady_state()
    {
        SpanRecord[] batch = Enumerable.Range(0, 512).Select(i => ExportTestKit.Span(i)).ToArray();
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("alloc-svc"));
        using var buffer = new PooledBuffer();
        foreach (OtlpProtocol protocol in new[] { OtlpProtocol.HttpProtobuf, OtlpProtocol.HttpJson })
        {
            for (int warm = 0; warm < 3; warm++)
            {
                buffer.Clear();
                encoder.Encode(batch, buffer, protocol);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                buffer.Clear();
                encoder.Encode(batch, buffer, protocol);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{protocol}: {allocated} bytes allocated for 10 batches");
            Assert.True(buffer.Length > 512 * 50);
        }
    }

    [Fact]
    public void Protobuf_encoding_of_a_large_batch_decodes_to_every_span()
    {
        SpanRecord[] batch = Enumerable.Range(0, 2000).Select(i => ExportTestKit.Span(i)).ToArray();
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("big"));
        using var buffer = new PooledBuffer(64);
        encoder.EncodeProtobuf(batch, buffer);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => "span-" + i), ExportTestKit.SpanNames(buffer.WrittenSpan.ToArray()));
    }

    [Fact]
    public void Pre_encoded_site_facts_encode_exactly_like_the_same_attributes_set_on_the_span()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("cache"));
        using var cached = new PooledBuffer();
        using var plain = new PooledBuffer();
        for (int round = 0; round < 2; round++)
        {
            SpanRecord withDescriptor = ExportTestKit.Span(7);
            withDescriptor.SetAttribute("flag", true);
            withDescriptor.SetAttribute("ratio", 0.5);
            withDescriptor.SetAttribute("neg", -300L);
            SpanRecord without = withDescriptor.Clone();
            without.Descriptor = null;
            without.AttributeCount = 0;
            foreach (KeyValue kv in withDescriptor.Descriptor!.Attributes)
            {
                without.SetAttribute(kv.Key, kv.Value);
            }
            for (int i = 0; i < withDescriptor.AttributeCount; i++)
            {
                without.SetAttribute(new string(withDescriptor.Attributes[i].Key.AsSpan()), withDescriptor.Attributes[i].Value);
            }
            without.Name = new string(withDescriptor.Name.AsSpan());
            cached.Clear();
            plain.Clear();
            encoder.EncodeProtobuf(new[] { withDescriptor }, cached);
            encoder.EncodeProtobuf(new[] { without }, plain);
            Assert.Equal(plain.WrittenSpan.ToArray(), cached.WrittenSpan.ToArray());
        }
    }

    private static IEnumerable<byte> Varint(ulong value)
    {
        while (value >= 0x80)
        {
            yield return (byte)(value | 0x80);
            value >>= 7;
        }
        yield return (byte)value;
    }
}
