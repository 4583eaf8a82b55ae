using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// The protobuf encoder's fast path (cached site bytes, raw writes, kept span lengths) against its plain
/// field-by-field path through <see cref="ProtobufWriter"/>: byte for byte, for spans of every shape the
/// fast path treats specially, and decodable by the test's own decoder.
/// </summary>
public class OtlpFastEncodingTests
{
    private static readonly SpanDescriptor s_site = new("SELECT blog_post", ActivityKind.Client, new KeyValue[] { new("db.system.name", "postgresql"), new("db.operation.name", "SELECT") });
    private static readonly SpanDescriptor s_unicodeSite = new("café ✓", (ActivityKind)7, new KeyValue[] { new("code.function.name", "Ünïcode"), new("a.l", AttributeValue.Of(new long[] { 1, -1 })) });
    private static readonly SpanDescriptor s_bareSite = new("bare", ActivityKind.Internal);

    private static SpanRecord Base(int n, SpanDescriptor? descriptor)
    {
        var record = new SpanRecord
        {
            TraceId = new TraceId(0x0102030405060708UL * (ulong)(n + 1), 0xF0E0D0C0B0A09080UL ^ (ulong)n),
            SpanId = new SpanId(0x1122334455667788UL + (ulong)n),
            ParentSpanId = n % 3 == 0 ? default : new SpanId(0xABCDEF0012345678UL),
            ParentIsRemote = n % 5 == 0,
            TraceFlags = (byte)(n % 2),
            Descriptor = descriptor,
            Name = descriptor?.Name ?? "made-in-code",
            Kind = descriptor?.Kind ?? ActivityKind.Server,
            StartUnixNano = 1_700_000_000_000_000_000 + n,
            EndUnixNano = 1_700_000_000_000_000_000 + n * 1000L,
        };
        return record;
    }

    /// <summary>Spans of every shape the fast path has a branch for.</summary>
    internal static List<SpanRecord> Shapes()
    {
        var spans = new List<SpanRecord>();
        int n = 0;

        // The benchmark's shape: site constants plus a string and a long.
        for (int i = 0; i < 3; i++)
        {
            SpanRecord s = Base(n++, s_site);
            s.SetAttribute("db.collection.name", "blog_post");
            s.SetAttribute("db.response.returned_rows", (long)i);
            spans.Add(s);
        }

        // Every scalar type and edge value, arrays (plain path inside the fast one), empty and non-ASCII strings.
        SpanRecord scalars = Base(n++, s_site);
        scalars.SetAttribute("s.empty", "");
        scalars.SetAttribute("s.unicode", "héllo wörld ✓ — 漢字 😀");
        scalars.SetAttribute("s.ascii32", new string('a', 32));
        scalars.SetAttribute("s.ascii33", new string('b', 33));
        scalars.SetAttribute("s.late_unicode", new string('c', 20) + "é");
        scalars.SetAttribute("s.ascii7", "abcdefg");
        scalars.SetAttribute("s.ascii8", "abcdefgh");
        scalars.SetAttribute("s.ascii16", "abcdefghijklmnop");
        scalars.SetAttribute("s.ascii17", "abcdefghijklmnopq");
        scalars.SetAttribute("s.mid_unicode", "abcdéfghij");
        scalars.SetAttribute("s.end_unicode", "abcdefghijklmnoé");
        scalars.SetAttribute("s.short_unicode", "aé");
        scalars.SetAttribute("s.del", "abcdefgh\u007f");
        scalars.SetAttribute("s.nul", "\0abcdefgh");
        scalars.SetAttribute("s.printable", new string(Enumerable.Range(0x20, 0x5F).Select(c => (char)c).Where(c => c != '"' && c != '\\').ToArray()));
        scalars.SetAttribute("s.quote", "say \"hi\"");
        scalars.SetAttribute("s.backslash", "C:\\temp");
        scalars.SetAttribute("s.tab", "a\tb");
        scalars.SetAttribute("s.html", "<a href='x'>&amp;</a>");
        scalars.SetAttribute("s.len200", new string('y', 200));
        scalars.SetAttribute("s.len201", new string('z', 201));
        scalars.SetAttribute("b.true", true);
        scalars.SetAttribute("b.false", false);
        scalars.SetAttribute("l.zero", 0L);
        scalars.SetAttribute("l.neg", -1L);
        scalars.SetAttribute("l.max", long.MaxValue);
        scalars.SetAttribute("l.min", long.MinValue);
        scalars.SetAttribute("l.127", 127L);
        scalars.SetAttribute("l.128", 128L);
        scalars.SetAttribute("d.pi", Math.PI);
        scalars.SetAttribute("d.nan", double.NaN);
        scalars.SetAttribute("a.s", AttributeValue.Of(new[] { "a", "", "ü" }));
        scalars.SetAttribute("a.b", AttributeValue.Of(new[] { true, false }));
        scalars.SetAttribute("a.l", AttributeValue.Of(new[] { 1L, long.MinValue }));
        scalars.SetAttribute("a.d", AttributeValue.Of(new[] { 1.5, -0.0 }));
        spans.Add(scalars);

        // Key-value lengths around the one-byte limit (127/128), and strings whose lengths take 2 and 3 bytes.
        foreach (int length in new[] { 100, 105, 106, 107, 120, 121, 122, 123, 124, 125, 126, 127, 128, 200, 5000, 20000 })
        {
            SpanRecord s = Base(n++, s_site);
            s.SetAttribute("k", new string('x', length));
            s.SetAttribute("u", new string('é', length / 2));
            spans.Add(s);
        }

        // Keys near and over the longest pre-encoded key taken by the raw writer.
        foreach (int length in new[] { 97, 98, 99, 100, 101, 150 })
        {
            SpanRecord s = Base(n++, s_site);
            s.SetAttribute(new string('k', length), "v");
            s.SetAttribute(new string('l', length), 5L);
            spans.Add(s);
        }

        // No descriptor; renamed; kind changed; descriptor with non-ASCII name, a kind outside ActivityKind (sent as INTERNAL), an array constant.
        SpanRecord code = Base(n++, null);
        code.SetAttribute("http.request.method", "GET");
        spans.Add(code);
        SpanRecord renamed = Base(n++, s_site);
        renamed.Name = "SELECT other";
        spans.Add(renamed);
        SpanRecord rekinded = Base(n++, s_site);
        rekinded.Kind = ActivityKind.Internal;
        spans.Add(rekinded);
        SpanRecord unicodeSite = Base(n++, s_unicodeSite);
        unicodeSite.Kind = (ActivityKind)7;
        spans.Add(unicodeSite);

        // Tiny spans: a body under 128 bytes takes one length byte.
        spans.Add(Base(n++, s_bareSite));
        SpanRecord tiny = Base(n++, null);
        tiny.Name = "";
        tiny.Kind = (ActivityKind)(-1);
        spans.Add(tiny);

        // Trace state, events, links, drop counts, statuses.
        SpanRecord full = Base(n++, s_site);
        full.TraceState = "vendor=abc,other=x y";
        full.SetAttribute("error.type", "System.InvalidOperationException");
        full.AddEvent("exception", full.StartUnixNano + 5, new KeyValue[] { new("exception.type", "System.InvalidOperationException"), new("exception.message", "boom ✓"), new("count", 3L) });
        full.AddEvent("no-attributes", full.StartUnixNano + 6);
        full.AddLink(new TraceId(1, 2), new SpanId(3), 1, "k=v", new KeyValue[] { new("link.s", "x"), new("link.n", 7L) }, isRemote: true);
        full.AddLink(new TraceId(4, 5), new SpanId(6), 0);
        full.DroppedAttributes = 2;
        full.DroppedEvents = 3;
        full.DroppedLinks = 4;
        full.StatusCode = SpanStatusCode.Error;
        full.StatusMessage = "it failed";
        spans.Add(full);
        SpanRecord ok = Base(n++, s_site);
        ok.StatusCode = SpanStatusCode.Ok;
        ok.StatusMessage = "ignored for OK";
        spans.Add(ok);

        // More own attributes than the per-site key memo holds, and the same site setting other keys at a position.
        SpanRecord many = Base(n++, s_site);
        for (int i = 0; i < 20; i++)
        {
            many.SetAttribute("many." + i, i);
        }
        spans.Add(many);
        SpanRecord otherKeys = Base(n++, s_site);
        otherKeys.SetAttribute("db.response.returned_rows", 1L);
        otherKeys.SetAttribute("db.collection.name", "blog_post");
        spans.Add(otherKeys);
        SpanRecord equalKeyOtherInstance = Base(n++, s_site);
        equalKeyOtherInstance.SetAttribute(new string("db.collection.name".AsSpan()), "x");
        spans.Add(equalKeyOtherInstance);

        return spans;
    }

    private static (byte[] Fast, byte[] Plain) EncodeBoth(OtlpTraceEncoder encoder, SpanRecord[] spans)
    {
        using var fast = new PooledBuffer(64);
        using var plain = new PooledBuffer(64);
        encoder.EncodeProtobuf(spans, fast);
        encoder.EncodeProtobufPlain(spans, plain);
        return (fast.WrittenSpan.ToArray(), plain.WrittenSpan.ToArray());
    }

    [Fact]
    public void Every_span_shape_encodes_exactly_like_the_plain_writer()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("fast"));
        List<SpanRecord> shapes = Shapes();
        // Twice: the first pass fills the caches, the second reads them.
        for (int round = 0; round < 2; round++)
        {
            foreach (SpanRecord span in shapes)
            {
                (byte[] fast, byte[] plain) = EncodeBoth(encoder, new[] { span });
                Assert.True(plain.AsSpan().SequenceEqual(fast), $"round {round}, span {span.Name} with {span.AttributeCount} attributes");
            }
            (byte[] all, byte[] allPlain) = EncodeBoth(encoder, shapes.ToArray());
            Assert.Equal(allPlain, all);
        }
    }

    [Fact]
    public void Fast_encoding_decodes_to_the_spans_with_their_attributes()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("fast"));
        List<SpanRecord> shapes = Shapes();
        using var buffer = new PooledBuffer(64);
        encoder.EncodeProtobuf(shapes.ToArray(), buffer);
        List<ProtoNode> decoded = ProtoTree.Decode(buffer.WrittenSpan.ToArray()).One(1)!.One(2)!.All(2).ToList();
        Assert.Equal(shapes.Count, decoded.Count);
        for (int i = 0; i < shapes.Count; i++)
        {
            SpanRecord expected = shapes[i];
            ProtoNode span = decoded[i];
            Assert.Equal(expected.Name, span.One(5)!.Text);
            byte[] traceId = new byte[16];
            expected.TraceId.WriteBytes(traceId);
            Assert.Equal(traceId, span.One(1)!.Bytes);
            Assert.Equal((ulong)expected.StartUnixNano, span.One(7)!.Number);
            Assert.Equal((ulong)expected.EndUnixNano, span.One(8)!.Number);
            Assert.Equal(OtlpTraceEncoder.SpanFlags(expected), (uint)span.One(16)!.Number);
            // OTLP's kinds are ActivityKind's plus one; a value outside the enum goes as INTERNAL.
            ulong kind = expected.Kind switch { ActivityKind.Internal => 1, ActivityKind.Server => 2, ActivityKind.Client => 3, ActivityKind.Producer => 4, ActivityKind.Consumer => 5, _ => 1 };
            Assert.Equal(kind, span.One(6)!.Number);
            List<string> keys = span.All(9).Select(kv => kv.One(1)!.Text).ToList();
            Assert.Equal(Enumerable.Range(0, expected.TotalAttributeCount).Select(a => expected.AttributeAt(a).Key), keys);
            for (int a = 0; a < expected.TotalAttributeCount; a++)
            {
                AttributeValue value = expected.AttributeAt(a).Value;
                ProtoNode any = span.All(9).ElementAt(a).One(2)!;
                switch (value.Type)
                {
                    case AttributeType.String:
                        Assert.Equal(value.AsString(), any.One(1)!.Text);
                        break;
                    case AttributeType.Long:
                        Assert.Equal(value.AsLong(), (long)any.One(3)!.Number);
                        break;
                    case AttributeType.Bool:
                        Assert.Equal(value.AsBool() ? 1UL : 0UL, any.One(2)!.Number);
                        break;
                    case AttributeType.Double:
                        Assert.Equal(BitConverter.DoubleToInt64Bits(value.AsDouble()), (long)any.One(4)!.Number);
                        break;
                }
            }
        }
    }

    [Fact]
    public void Span_lengths_are_minimal_varints_for_bodies_of_one_two_and_three_length_bytes()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("len"));
        foreach ((int text, int lengthBytes) in new[] { (0, 1), (60, 2), (16_000, 2), (16_400, 3), (3_000_000, 4) })
        {
            SpanRecord span = Base(1, s_bareSite);
            if (text > 0)
            {
                span.SetAttribute("t", new string('x', text));
            }
            using var buffer = new PooledBuffer(64);
            encoder.EncodeProtobuf(new[] { span }, buffer);
            byte[] bytes = buffer.WrittenSpan.ToArray();
            ProtoNode scopeSpans = ProtoTree.Decode(bytes).One(1)!.One(2)!;
            ProtoNode decoded = scopeSpans.One(2)!;
            // The span is the last field of the scope message: its tag, then its length as a minimal varint.
            byte[] length = Varint((ulong)decoded.Bytes.Length).ToArray();
            Assert.Equal(lengthBytes, length.Length);
            byte[] scopeBody = scopeSpans.Bytes;
            int tagAt = scopeBody.Length - decoded.Bytes.Length - length.Length - 1;
            Assert.Equal(0x12, scopeBody[tagAt]);
            Assert.Equal(length, scopeBody.AsSpan(tagAt + 1, length.Length).ToArray());
            Assert.Equal(span.Name, decoded.One(5)!.Text);
            (byte[] fast, byte[] plain) = EncodeBoth(encoder, new[] { span });
            Assert.Equal(plain, fast);
        }
    }

    [Fact]
    public void Key_and_site_caches_stop_growing_at_their_bound_and_the_output_stays_right()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("bound"));
        var spans = new SpanRecord[5000];
        for (int i = 0; i < spans.Length; i++)
        {
            var site = new SpanDescriptor("site-" + i, ActivityKind.Internal, new KeyValue[] { new("c." + i, i) });
            spans[i] = Base(i, site);
            spans[i].SetAttribute("key-" + i, "v" + i);
        }
        (byte[] fast, byte[] plain) = EncodeBoth(encoder, spans);
        Assert.Equal(plain, fast);
        (fast, plain) = EncodeBoth(encoder, spans);
        Assert.Equal(plain, fast);
    }

    [Fact]
    public void Every_span_shape_encodes_without_allocating_once_the_caches_are_warm()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("alloc"));
        SpanRecord[] shapes = Shapes().Concat(Shapes().Select(WithoutSite)).ToArray();
        using var buffer = new PooledBuffer(64);
        foreach (OtlpProtocol protocol in new[] { OtlpProtocol.HttpProtobuf, OtlpProtocol.HttpJson })
        {
            for (int warm = 0; warm < 3; warm++)
            {
                buffer.Clear();
                encoder.Encode(shapes, buffer, protocol);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                buffer.Clear();
                encoder.Encode(shapes, buffer, protocol);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    /// <summary>The same span with the site's facts set on the span itself, and every string a fresh instance (no cache hits).</summary>
    private static SpanRecord WithoutSite(SpanRecord span)
    {
        SpanRecord plain = span.Clone();
        plain.Descriptor = null;
        plain.AttributeCount = 0;
        plain.Name = new string(span.Name.AsSpan());
        plain.Attributes = new KeyValue[span.TotalAttributeCount];
        for (int i = 0; i < span.TotalAttributeCount; i++)
        {
            KeyValue kv = span.AttributeAt(i);
            plain.Attributes[plain.AttributeCount++] = new KeyValue(new string(kv.Key.AsSpan()), kv.Value);
        }
        return plain;
    }

    [Fact]
    public void Json_with_cached_pieces_is_byte_for_byte_the_plain_writers_json()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("json"));
        using var cached = new PooledBuffer(64);
        using var plain = new PooledBuffer(64);
        List<SpanRecord> shapes = Shapes();
        for (int round = 0; round < 2; round++)
        {
            foreach (SpanRecord span in shapes)
            {
                cached.Clear();
                plain.Clear();
                encoder.EncodeJson(new[] { span }, cached);
                encoder.EncodeJsonPlain(new[] { span }, plain);
                Assert.Equal(System.Text.Encoding.UTF8.GetString(plain.WrittenSpan), System.Text.Encoding.UTF8.GetString(cached.WrittenSpan));
                plain.Clear();
                encoder.EncodeJson(new[] { WithoutSite(span) }, plain);
                Assert.Equal(System.Text.Encoding.UTF8.GetString(plain.WrittenSpan), System.Text.Encoding.UTF8.GetString(cached.WrittenSpan));
                using var document = System.Text.Json.JsonDocument.Parse(cached.WrittenMemory);
                System.Text.Json.JsonElement decoded = document.RootElement.GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans")[0];
                Assert.Equal(span.Name, decoded.GetProperty("name").GetString());
                Assert.Equal(span.TotalAttributeCount, decoded.TryGetProperty("attributes", out var a) ? a.GetArrayLength() : 0);
                Assert.Equal(span.SpanId.ToHexString(), decoded.GetProperty("spanId").GetString());
                Assert.Equal(span.TraceId.ToHexString(), decoded.GetProperty("traceId").GetString());

                // And the protobuf of the span without its site is the fast protobuf of the span with it.
                cached.Clear();
                plain.Clear();
                encoder.EncodeProtobuf(new[] { span }, cached);
                encoder.EncodeProtobuf(new[] { WithoutSite(span) }, plain);
                Assert.Equal(plain.WrittenSpan.ToArray(), cached.WrittenSpan.ToArray());
            }
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
