using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>
/// The OTLP transport protocol, as <c>OTEL_EXPORTER_OTLP_[SIGNAL_]PROTOCOL</c> names it: OTLP/HTTP with a protobuf or
/// JSON body, or OTLP/gRPC.
/// </summary>
public enum OtlpProtocol
{
    /// <summary><c>http/protobuf</c>: OTLP/HTTP, binary protobuf, <c>application/x-protobuf</c> (the default).</summary>
    HttpProtobuf = 0,
    /// <summary><c>http/json</c>: OTLP/HTTP, OTLP/JSON, <c>application/json</c>.</summary>
    HttpJson = 1,
    /// <summary>
    /// <c>grpc</c>: OTLP/gRPC (protobuf in gRPC message frames over HTTP/2). The endpoint is then the collector's base
    /// URL (e.g. <c>http://localhost:4317</c>), not a signal's path.
    /// </summary>
    Grpc = 2,
}

/// <summary>
/// Encodes a batch of <see cref="SpanRecord"/>s as one OTLP <c>ExportTraceServiceRequest</c>
/// (opentelemetry/proto/collector/trace/v1), protobuf or JSON, into a <see cref="PooledBuffer"/>.
/// One resource, one scope (<c>OtelGen</c>); the resource and scope are encoded once and reused. Not
/// thread-safe: one per exporter thread. Allocates nothing once its buffers have grown.
/// </summary>
internal sealed class OtlpTraceEncoder
{
    // ExportTraceServiceRequest / ResourceSpans / ScopeSpans
    private const int RequestResourceSpans = 1, ResourceSpansResource = 1, ResourceSpansScopeSpans = 2, ScopeSpansScope = 1, ScopeSpansSpans = 2;
    // Span
    private const int SpanTraceId = 1, SpanSpanId = 2, SpanTraceState = 3, SpanParentSpanId = 4, SpanName = 5, SpanKindField = 6,
        SpanStart = 7, SpanEnd = 8, SpanAttributes = 9, SpanDroppedAttributes = 10, SpanEvents = 11, SpanDroppedEvents = 12,
        SpanLinks = 13, SpanDroppedLinks = 14, SpanStatus = 15, SpanFlagsField = 16;
    // Span.Event
    private const int EventTime = 1, EventName = 2, EventAttributes = 3, EventDroppedAttributes = 4;
    // Span.Link
    private const int LinkTraceId = 1, LinkSpanId = 2, LinkTraceState = 3, LinkAttributes = 4, LinkDroppedAttributes = 5, LinkFlags = 6;
    // Status
    private const int StatusMessage = 2, StatusCode = 3;

    /// <summary>SpanFlags: the W3C trace flags live in the low byte.</summary>
    public const uint TraceFlagsMask = 0xFF;
    /// <summary>SpanFlags: set when the is-remote bit below is meaningful.</summary>
    public const uint ContextHasIsRemoteMask = 0x100;
    /// <summary>SpanFlags: the parent (for a span) or the linked context (for a link) is remote.</summary>
    public const uint ContextIsRemoteMask = 0x200;

    /// <summary>
    /// The OTLP <c>Span.ActivityKind</c> number of an <see cref="ActivityKind"/>: one more (INTERNAL = 1 ... CONSUMER = 5).
    /// A value outside the enum is sent as INTERNAL, what OTLP lets a receiver assume for UNSPECIFIED (0), which
    /// ActivityKind cannot express and OtelGen therefore never sends.
    /// </summary>
    internal static int OtlpKind(ActivityKind kind) => (uint)kind <= (uint)ActivityKind.Consumer ? (int)kind + 1 : 1;

    private readonly OtlpResource _resource;
    private readonly string _scopeName;
    private readonly string? _scopeVersion;
    private readonly byte[] _resourceField;
    private readonly byte[] _scopeField;
    private readonly ProtobufWriter _protobuf;

    // Pre-encoded constant parts, by reference: a site's descriptor (its name and constant attributes)
    // and attribute keys (literals in generated code). Bounded, so that made-up keys cannot grow them forever.
    private const int CacheLimit = 4096;
    private readonly System.Collections.Generic.Dictionary<SpanDescriptor, SiteBytes> _sites = new();
    private readonly System.Collections.Generic.Dictionary<string, byte[]> _keys = new(System.Collections.Generic.ReferenceEqualityComparer.Instance);
    private readonly System.Collections.Generic.Dictionary<string, JsonKeyBytes> _jsonKeys = new(System.Collections.Generic.ReferenceEqualityComparer.Instance);

    /// <summary>An attribute key for OTLP/JSON: escaped, and as the opening of its KeyValue object.</summary>
    private sealed class JsonKeyBytes
    {
        public JsonKeyBytes(string key)
        {
            Text = JsonEncodedText.Encode(key, OtlpJsonWriter.Options.Encoder);
            // {"key":"<escaped>","value":{
            Prefix = [.. "{\"key\":\""u8, .. Text.EncodedUtf8Bytes, .. "\",\"value\":{"u8];
        }

        public readonly JsonEncodedText Text;
        public readonly byte[] Prefix;
    }

    private sealed class SiteBytes
    {
        public SiteBytes(SpanDescriptor descriptor)
        {
            Name = descriptor.Name;
            Kind = descriptor.Kind;
            using var scratch = new PooledBuffer(256);
            var writer = new ProtobufWriter(scratch);
            writer.WriteString(SpanName, descriptor.Name);
            writer.WriteEnum(SpanKindField, OtlpKind(descriptor.Kind));
            NameAndKind = scratch.WrittenSpan.ToArray();
            Attributes = OtlpProtobuf.EncodeKeyValues(SpanAttributes, descriptor.Attributes);

            JsonName = JsonEncodedText.Encode(descriptor.Name, OtlpJsonWriter.Options.Encoder);
            JsonAttributes = new byte[descriptor.Attributes.Length][];
            using var json = new Utf8JsonWriter(scratch, OtlpJsonWriter.Options);
            for (int i = 0; i < JsonAttributes.Length; i++)
            {
                scratch.Clear();
                json.Reset(scratch);
                OtlpJsonWriter.WriteKeyValue(json, descriptor.Attributes[i]);
                json.Flush();
                JsonAttributes[i] = scratch.WrittenSpan.ToArray();
            }
        }

        public readonly string Name;
        public readonly ActivityKind Kind;
        // Span fields 5 and 6, adjacent on the wire.
        public readonly byte[] NameAndKind;
        public readonly byte[] Attributes;

        // The keys this site's spans set, by position: generated code sets the same literals in the same order.
        public readonly string?[] OwnKeys = new string?[8];
        public readonly byte[]?[] OwnKeyFields = new byte[]?[8];

        // The same for OTLP/JSON: the escaped name, each constant KeyValue object, own keys by position.
        public readonly JsonEncodedText JsonName;
        public readonly byte[][] JsonAttributes;
        public readonly string?[] OwnJsonKeys = new string?[8];
        public readonly JsonKeyBytes?[] OwnJsonKeyBytes = new JsonKeyBytes?[8];
    }

    private readonly SpanDescriptor?[] _recentDescriptors = new SpanDescriptor?[64];
    private readonly SiteBytes?[] _recentSites = new SiteBytes?[64];
    // The last site looked up: batches come in runs of spans from the same site.
    private SpanDescriptor? _lastDescriptor;
    private SiteBytes? _lastSite;
    // Own-attribute key bytes by position for spans without a site.
    private readonly string?[] _plainKeys = new string?[16];
    private readonly byte[]?[] _plainKeyFields = new byte[]?[16];
    private readonly string?[] _plainJsonKeys = new string?[16];
    private readonly JsonKeyBytes?[] _plainJsonKeyBytes = new JsonKeyBytes?[16];
    // A KeyValue object composed here and handed to the JSON writer whole.
    private readonly byte[] _jsonScratch = new byte[512];
    private Utf8JsonWriter? _json;

    /// <summary>An encoder for spans of <paramref name="resource"/> under the <c>OtelGen</c> scope.</summary>
    public OtlpTraceEncoder(OtlpResource resource, string scopeName = OtlpResource.ScopeName, string? scopeVersion = null)
    {
        _resource = resource;
        _scopeName = scopeName;
        _scopeVersion = scopeVersion ?? OtlpResource.SdkVersion;
        using (var scratch = new PooledBuffer(1024))
        {
            var writer = new ProtobufWriter(scratch);
            OtlpProtobuf.WriteResource(writer, ResourceSpansResource, resource);
            _resourceField = scratch.WrittenSpan.ToArray();
            scratch.Clear();
            OtlpProtobuf.WriteScope(writer, ScopeSpansScope, _scopeName, _scopeVersion);
            _scopeField = scratch.WrittenSpan.ToArray();
        }
        _protobuf = new ProtobufWriter(new PooledBuffer(256));
    }

    /// <summary>The resource this encoder reports.</summary>
    public OtlpResource Resource => _resource;

    /// <summary>Appends the request for <paramref name="spans"/> to <paramref name="output"/> in <paramref name="protocol"/>'s encoding.</summary>
    public void Encode(ReadOnlySpan<SpanRecord> spans, PooledBuffer output, OtlpProtocol protocol)
    {
        if (protocol == OtlpProtocol.HttpJson)
        {
            EncodeJson(spans, output);
        }
        else
        {
            EncodeProtobuf(spans, output);
        }
    }

    /// <summary>Appends a protobuf <c>ExportTraceServiceRequest</c> for <paramref name="spans"/> to <paramref name="output"/>.</summary>
    public void EncodeProtobuf(ReadOnlySpan<SpanRecord> spans, PooledBuffer output)
    {
        ProtobufWriter writer = _protobuf;
        writer.Reset(output);
        writer.BeginMessage(RequestResourceSpans, 3);
        writer.WriteRaw(_resourceField);
        string? scope = spans.Length > 0 ? spans[0].ScopeName : null;
        writer.BeginMessage(ResourceSpansScopeSpans, 3);
        if (spans.Length > 0)
        {
            WriteScopeOf(writer, spans[0]);
        }
        else
        {
            writer.WriteRaw(_scopeField);
        }
        foreach (SpanRecord span in spans)
        {
            if (!string.Equals(span.ScopeName, scope, StringComparison.Ordinal))
            {
                // A recorded library Activity's spans go under its source's scope; consecutive spans of one scope
                // share a ScopeSpans (OTLP allows a scope to appear more than once).
                writer.EndMessage();
                scope = span.ScopeName;
                writer.BeginMessage(ResourceSpansScopeSpans, 3);
                WriteScopeOf(writer, span);
            }
            WriteSpan(writer, output, span);
        }
        writer.EndMessage();
        writer.EndMessage();
    }

    private void WriteScopeOf(ProtobufWriter writer, SpanRecord span)
    {
        if (span.ScopeName is { } name)
        {
            OtlpProtobuf.WriteScope(writer, ScopeSpansScope, name, span.ScopeVersion);
        }
        else
        {
            writer.WriteRaw(_scopeField);
        }
    }

    /// <summary>
    /// The same request as <see cref="EncodeProtobuf"/>, written field by field without caches or raw
    /// writes: the plain reference the fast encoding must match byte for byte (tests).
    /// </summary>
    internal void EncodeProtobufPlain(ReadOnlySpan<SpanRecord> spans, PooledBuffer output)
    {
        var writer = new ProtobufWriter(output);
        writer.BeginMessage(RequestResourceSpans, 3);
        OtlpProtobuf.WriteResource(writer, ResourceSpansResource, _resource);
        string? scope = spans.Length > 0 ? spans[0].ScopeName : null;
        writer.BeginMessage(ResourceSpansScopeSpans, 3);
        OtlpProtobuf.WriteScope(writer, ScopeSpansScope, scope ?? _scopeName, scope is null ? _scopeVersion : spans[0].ScopeVersion);
        foreach (SpanRecord span in spans)
        {
            if (!string.Equals(span.ScopeName, scope, StringComparison.Ordinal))
            {
                writer.EndMessage();
                scope = span.ScopeName;
                writer.BeginMessage(ResourceSpansScopeSpans, 3);
                OtlpProtobuf.WriteScope(writer, ScopeSpansScope, span.ScopeName ?? _scopeName, span.ScopeName is null ? _scopeVersion : span.ScopeVersion);
            }
            WriteSpanPlain(writer, span);
        }
        writer.EndMessage();
        writer.EndMessage();
    }

    /// <summary>Appends an OTLP/JSON <c>ExportTraceServiceRequest</c> for <paramref name="spans"/> to <paramref name="output"/> (one line).</summary>
    public void EncodeJson(ReadOnlySpan<SpanRecord> spans, PooledBuffer output) =>
        EncodeJson(spans, output, plain: false);

    /// <summary>
    /// The same JSON as <see cref="EncodeJson(ReadOnlySpan{SpanRecord}, PooledBuffer)"/> written through
    /// <see cref="Utf8JsonWriter"/> alone, without cached pieces: the reference for tests.
    /// </summary>
    internal void EncodeJsonPlain(ReadOnlySpan<SpanRecord> spans, PooledBuffer output) =>
        EncodeJson(spans, output, plain: true);

    private void EncodeJson(ReadOnlySpan<SpanRecord> spans, PooledBuffer output, bool plain)
    {
        Utf8JsonWriter json = _json ??= new Utf8JsonWriter(output, OtlpJsonWriter.Options);
        json.Reset(output);
        json.WriteStartObject();
        json.WriteStartArray(OtlpJsonFields.ResourceSpans);
        json.WriteStartObject();
        OtlpJsonWriter.WriteResource(json, OtlpJsonFields.Resource, _resource);
        json.WriteStartArray(OtlpJsonFields.ScopeSpans);
        json.WriteStartObject();
        string? scope = spans.Length > 0 ? spans[0].ScopeName : null;
        OtlpJsonWriter.WriteScope(json, OtlpJsonFields.Scope, scope ?? _scopeName, scope is null ? _scopeVersion : spans[0].ScopeVersion);
        json.WriteStartArray(OtlpJsonFields.Spans);
        foreach (SpanRecord span in spans)
        {
            if (!string.Equals(span.ScopeName, scope, StringComparison.Ordinal))
            {
                json.WriteEndArray();
                json.WriteEndObject();
                scope = span.ScopeName;
                json.WriteStartObject();
                OtlpJsonWriter.WriteScope(json, OtlpJsonFields.Scope, span.ScopeName ?? _scopeName, span.ScopeName is null ? _scopeVersion : span.ScopeVersion);
                json.WriteStartArray(OtlpJsonFields.Spans);
            }
            WriteSpan(json, span, plain);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
    }

    /// <summary>The OTLP <c>Span.flags</c> value: trace flags plus whether the parent is remote.</summary>
    public static uint SpanFlags(SpanRecord span) =>
        span.TraceFlags | ContextHasIsRemoteMask | (span.ParentIsRemote ? ContextIsRemoteMask : 0);

    private void WriteSpan(ProtobufWriter writer, PooledBuffer output, SpanRecord span)
    {
        SpanDescriptor? descriptor = span.Descriptor;
        SiteBytes? site = null;
        if (descriptor is not null)
        {
            site = ReferenceEquals(descriptor, _lastDescriptor) ? _lastSite : Site(descriptor);
        }

        // Tag, two bytes kept for the length (a span is usually 128 bytes to 16 KiB), trace id, span id.
        output.Ensure(3 + 18 + 10);
        int start = output._length;
        ref byte b = ref RawProtobuf.Start(output);
        Unsafe.Add(ref b, start) = (ScopeSpansSpans << 3) | 2;
        int p = start + 3;
        Unsafe.Add(ref b, p) = (SpanTraceId << 3) | 2;
        Unsafe.Add(ref b, p + 1) = 16;
        RawProtobuf.BigEndian64(ref Unsafe.Add(ref b, p + 2), span.TraceId.High);
        RawProtobuf.BigEndian64(ref Unsafe.Add(ref b, p + 10), span.TraceId.Low);
        Unsafe.Add(ref b, p + 18) = (SpanSpanId << 3) | 2;
        Unsafe.Add(ref b, p + 19) = 8;
        RawProtobuf.BigEndian64(ref Unsafe.Add(ref b, p + 20), span.SpanId.Value);
        output._length = p + 28;
        if (!string.IsNullOrEmpty(span.TraceState))
        {
            writer.WriteString(SpanTraceState, span.TraceState);
        }

        if (site is not null && ReferenceEquals(site.Name, span.Name) && site.Kind == span.Kind)
        {
            // The site's name and kind, the times, and the site's constant attributes: one run of known size.
            byte[] head = site.NameAndKind;
            byte[] constant = site.Attributes;
            output.Ensure(10 + head.Length + 18 + constant.Length);
            b = ref RawProtobuf.Start(output);
            p = output._length;
            if (span.ParentSpanId.IsValid)
            {
                Unsafe.Add(ref b, p) = (SpanParentSpanId << 3) | 2;
                Unsafe.Add(ref b, p + 1) = 8;
                RawProtobuf.BigEndian64(ref Unsafe.Add(ref b, p + 2), span.ParentSpanId.Value);
                p += 10;
            }
            p = RawProtobuf.Copy(ref b, p, head);
            Unsafe.Add(ref b, p) = (SpanStart << 3) | 1;
            RawProtobuf.LittleEndian64(ref Unsafe.Add(ref b, p + 1), (ulong)span.StartUnixNano);
            Unsafe.Add(ref b, p + 9) = (SpanEnd << 3) | 1;
            RawProtobuf.LittleEndian64(ref Unsafe.Add(ref b, p + 10), (ulong)span.EndUnixNano);
            output._length = RawProtobuf.Copy(ref b, p + 18, constant);
        }
        else
        {
            // Name and kind of a span from code (or renamed): written here, with the same run of raw writes.
            string name = span.Name ?? string.Empty;
            output.Ensure(10 + 6 + name.Length * 3 + 11 + 18);
            b = ref RawProtobuf.Start(output);
            p = output._length;
            if (span.ParentSpanId.IsValid)
            {
                Unsafe.Add(ref b, p) = (SpanParentSpanId << 3) | 2;
                Unsafe.Add(ref b, p + 1) = 8;
                RawProtobuf.BigEndian64(ref Unsafe.Add(ref b, p + 2), span.ParentSpanId.Value);
                p += 10;
            }
            Unsafe.Add(ref b, p) = (SpanName << 3) | 2;
            if (name.Length <= 42)
            {
                // At most 126 bytes: the length takes one byte, written after the text.
                int written = RawProtobuf.Utf8(name, output, p + 2);
                Unsafe.Add(ref b, p + 1) = (byte)written;
                p += 2 + written;
            }
            else
            {
                p = RawProtobuf.Varint(ref b, p + 1, (ulong)System.Text.Encoding.UTF8.GetByteCount(name));
                p += RawProtobuf.Utf8(name, output, p);
            }
            Unsafe.Add(ref b, p) = SpanKindField << 3;
            p = RawProtobuf.Varint(ref b, p + 1, (ulong)OtlpKind(span.Kind));
            Unsafe.Add(ref b, p) = (SpanStart << 3) | 1;
            RawProtobuf.LittleEndian64(ref Unsafe.Add(ref b, p + 1), (ulong)span.StartUnixNano);
            Unsafe.Add(ref b, p + 9) = (SpanEnd << 3) | 1;
            RawProtobuf.LittleEndian64(ref Unsafe.Add(ref b, p + 10), (ulong)span.EndUnixNano);
            output._length = p + 18;
            if (site is not null)
            {
                writer.WriteRaw(site.Attributes);
            }
            else if (descriptor is not null)
            {
                WriteKeyValues(writer, SpanAttributes, descriptor.Attributes, plain: false);
            }
        }

        // Own attributes: key bytes by position, from the site's memo (or the one for spans without a site).
        string?[] memoKeys = site is not null ? site.OwnKeys : _plainKeys;
        byte[]?[] memoFields = site is not null ? site.OwnKeyFields : _plainKeyFields;
        KeyValue[] attributes = span.Attributes;
        int count = Math.Min(span.AttributeCount, attributes.Length);
        for (int i = 0; i < count; i++)
        {
            ref readonly KeyValue attribute = ref attributes[i];
            if (!TryRecall(memoKeys, memoFields, i, attribute.Key, out byte[]? key))
            {
                key = KeyField(attribute.Key);
                Remember(memoKeys, memoFields, i, attribute.Key, key);
            }
            if (key is null || !RawProtobuf.TryWriteKeyValue(output, (SpanAttributes << 3) | 2, key, attribute.Value))
            {
                OtlpProtobuf.WriteKeyValue(writer, SpanAttributes, attribute);
            }
        }

        if ((span.DroppedAttributes | span.EventCount | span.DroppedEvents | span.LinkCount | span.DroppedLinks | (int)span.StatusCode) != 0)
        {
            WriteSpanTail(writer, span);
        }

        output.Ensure(6);
        b = ref RawProtobuf.Start(output);
        p = output._length;
        Unsafe.Add(ref b, p) = (byte)((SpanFlagsField << 3) | 5);
        Unsafe.Add(ref b, p + 1) = (byte)(((SpanFlagsField << 3) | 5) >> 7);
        RawProtobuf.LittleEndian32(ref Unsafe.Add(ref b, p + 2), SpanFlags(span));
        p += 6;
        int length = p - (start + 3);
        if ((uint)(length - 128) < 16384 - 128)
        {
            Unsafe.Add(ref b, start + 1) = (byte)(length | 0x80);
            Unsafe.Add(ref b, start + 2) = (byte)(length >> 7);
            output._length = p;
        }
        else
        {
            FitSpanLength(output, start, length);
        }
    }

    /// <summary>Writes the length of a span whose body does not take the two bytes kept for it, moving the body.</summary>
    private static void FitSpanLength(PooledBuffer output, int start, int length)
    {
        int needed = ProtobufWriter.VarintSize((ulong)length);
        output.Ensure(Math.Max(0, needed - 2));
        byte[] buffer = output._buffer;
        buffer.AsSpan(start + 3, length).CopyTo(buffer.AsSpan(start + 1 + needed));
        RawProtobuf.Varint(ref RawProtobuf.Start(output), start + 1, (ulong)length);
        output._length = start + 1 + needed + length;
    }

    /// <summary>
    /// The rarer span fields between the attributes and the flags: drop counts, events, links, status.
    /// <paramref name="plain"/> writes keys without the key cache (the reference path).
    /// </summary>
    private void WriteSpanTail(ProtobufWriter writer, SpanRecord span, bool plain = false)
    {
        if (span.DroppedAttributes > 0)
        {
            writer.WriteUInt32(SpanDroppedAttributes, (uint)span.DroppedAttributes);
        }
        for (int i = 0; i < span.EventCount; i++)
        {
            ref readonly SpanEvent e = ref span.Events[i];
            writer.BeginMessage(SpanEvents, 1);
            writer.WriteFixed64(EventTime, (ulong)e.TimeUnixNano);
            writer.WriteString(EventName, e.Name ?? string.Empty);
            WriteKeyValues(writer, EventAttributes, span.NestedRange(e.AttributeStart, e.AttributeCount), plain);
            writer.EndMessage();
        }
        if (span.DroppedEvents > 0)
        {
            writer.WriteUInt32(SpanDroppedEvents, (uint)span.DroppedEvents);
        }
        for (int i = 0; i < span.LinkCount; i++)
        {
            ref readonly SpanLink link = ref span.Links[i];
            writer.BeginMessage(SpanLinks, 1);
            writer.WriteBigEndianId(LinkTraceId, link.TraceId.High, link.TraceId.Low, sixteenBytes: true);
            writer.WriteBigEndianId(LinkSpanId, 0, link.SpanId.Value, sixteenBytes: false);
            if (!string.IsNullOrEmpty(link.TraceState))
            {
                writer.WriteString(LinkTraceState, link.TraceState);
            }
            WriteKeyValues(writer, LinkAttributes, span.NestedRange(link.AttributeStart, link.AttributeCount), plain);
            writer.WriteFixed32(LinkFlags, LinkFlagsOf(link));
            writer.EndMessage();
        }
        if (span.DroppedLinks > 0)
        {
            writer.WriteUInt32(SpanDroppedLinks, (uint)span.DroppedLinks);
        }
        if (span.StatusCode != SpanStatusCode.Unset)
        {
            writer.BeginMessage(SpanStatus, 1);
            if (span.StatusCode == SpanStatusCode.Error && !string.IsNullOrEmpty(span.StatusMessage))
            {
                writer.WriteString(StatusMessage, span.StatusMessage);
            }
            writer.WriteEnum(StatusCode, (int)span.StatusCode);
            writer.EndMessage();
        }
    }

    /// <summary>Key-value entries with cached key bytes where the key is a known string instance.</summary>
    private void WriteKeyValues(ProtobufWriter writer, int field, ReadOnlySpan<KeyValue> attributes, bool plain)
    {
        if (plain)
        {
            OtlpProtobuf.WriteKeyValues(writer, field, attributes);
            return;
        }
        foreach (ref readonly KeyValue attribute in attributes)
        {
            byte[]? key = KeyField(attribute.Key);
            if (key is null || !RawProtobuf.TryWriteKeyValue(writer.Output, (byte)((field << 3) | 2), key, attribute.Value))
            {
                OtlpProtobuf.WriteKeyValue(writer, field, attribute);
            }
        }
    }

    /// <summary>
    /// The span written field by field through <see cref="ProtobufWriter"/>, without caches or raw writes:
    /// the reference the fast path is tested against.
    /// </summary>
    private void WriteSpanPlain(ProtobufWriter writer, SpanRecord span)
    {
        writer.BeginMessage(ScopeSpansSpans, 2);
        writer.WriteBigEndianId(SpanTraceId, span.TraceId.High, span.TraceId.Low, sixteenBytes: true);
        writer.WriteBigEndianId(SpanSpanId, 0, span.SpanId.Value, sixteenBytes: false);
        if (!string.IsNullOrEmpty(span.TraceState))
        {
            writer.WriteString(SpanTraceState, span.TraceState);
        }
        if (span.ParentSpanId.IsValid)
        {
            writer.WriteBigEndianId(SpanParentSpanId, 0, span.ParentSpanId.Value, sixteenBytes: false);
        }
        writer.WriteString(SpanName, span.Name ?? string.Empty);
        writer.WriteEnum(SpanKindField, OtlpKind(span.Kind));
        writer.WriteFixed64(SpanStart, (ulong)span.StartUnixNano);
        writer.WriteFixed64(SpanEnd, (ulong)span.EndUnixNano);
        int total = span.TotalAttributeCount;
        for (int i = 0; i < total; i++)
        {
            OtlpProtobuf.WriteKeyValue(writer, SpanAttributes, span.AttributeAt(i));
        }
        WriteSpanTail(writer, span, plain: true);
        writer.WriteFixed32(SpanFlagsField, SpanFlags(span));
        writer.EndMessage();
    }

    /// <summary>The OTLP <c>Link.flags</c> value: trace flags plus whether the linked context is remote.</summary>
    public static uint LinkFlagsOf(in SpanLink link) =>
        link.TraceFlags | ContextHasIsRemoteMask | (link.IsRemote ? ContextIsRemoteMask : 0);

    private SiteBytes? Site(SpanDescriptor descriptor)
    {
        // A direct-mapped memo in front of the dictionary: a batch usually holds spans of a few sites.
        int slot = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(descriptor) & (_recentDescriptors.Length - 1);
        if (ReferenceEquals(_recentDescriptors[slot], descriptor))
        {
            _lastDescriptor = descriptor;
            return _lastSite = _recentSites[slot];
        }
        if (!_sites.TryGetValue(descriptor, out SiteBytes? site))
        {
            if (_sites.Count >= CacheLimit)
            {
                return null;
            }
            site = new SiteBytes(descriptor);
            _sites.Add(descriptor, site);
        }
        _recentDescriptors[slot] = descriptor;
        _recentSites[slot] = site;
        _lastDescriptor = descriptor;
        return _lastSite = site;
    }

    private JsonKeyBytes? JsonKey(string key)
    {
        if (_jsonKeys.TryGetValue(key, out JsonKeyBytes? bytes))
        {
            return bytes;
        }
        if (_jsonKeys.Count >= CacheLimit)
        {
            return null;
        }
        bytes = new JsonKeyBytes(key);
        _jsonKeys.Add(key, bytes);
        return bytes;
    }

    /// <summary>
    /// Writes a KeyValue object composed from the key's cached opening and the value, as one raw JSON
    /// value: for integers, booleans and strings of printable ASCII without quotes or backslashes (which
    /// the writer's encoder leaves as they are). False, nothing written, for anything else.
    /// </summary>
    private bool TryWriteRawKeyValue(Utf8JsonWriter json, byte[] prefix, in AttributeValue value)
    {
        byte[] scratch = _jsonScratch;
        int at = prefix.Length;
        if (at > 256)
        {
            return false;
        }
        prefix.CopyTo(scratch, 0);
        ReadOnlySpan<byte> close = "}}"u8;
        switch (value.Type)
        {
            case AttributeType.Long:
                "\"intValue\":\""u8.CopyTo(scratch.AsSpan(at));
                at += 12;
                System.Buffers.Text.Utf8Formatter.TryFormat(value.AsLong(), scratch.AsSpan(at), out int digits);
                at += digits;
                close = "\"}}"u8;
                break;
            case AttributeType.Bool:
                ReadOnlySpan<byte> literal = value.AsBool() ? "\"boolValue\":true"u8 : "\"boolValue\":false"u8;
                literal.CopyTo(scratch.AsSpan(at));
                at += literal.Length;
                break;
            case AttributeType.String:
                string text = value.AsString();
                if (text.Length > 200)
                {
                    return false;
                }
                "\"stringValue\":\""u8.CopyTo(scratch.AsSpan(at));
                at += 15;
                foreach (char c in text)
                {
                    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
                    {
                        return false;
                    }
                    scratch[at++] = (byte)c;
                }
                close = "\"}}"u8;
                break;
            default:
                return false;
        }
        close.CopyTo(scratch.AsSpan(at));
        json.WriteRawValue(scratch.AsSpan(0, at + close.Length), skipInputValidation: true);
        return true;
    }

    // A per-site memo of encoded attribute keys by position: a span from the same site mostly sets the same
    // key objects in the same order, so one reference comparison finds the encoded bytes (protobuf or JSON).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryRecall<T>(string?[] keys, T?[] encoded, int index, string key, out T? value)
        where T : class
    {
        if (index < keys.Length && ReferenceEquals(keys[index], key))
        {
            value = encoded[index];
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Remembers <paramref name="value"/> for the key at <paramref name="index"/> (a key that cannot be encoded raw is not remembered).</summary>
    private static void Remember<T>(string?[] keys, T?[] encoded, int index, string key, T? value)
        where T : class
    {
        if (index < keys.Length)
        {
            keys[index] = value is null ? null : key;
            encoded[index] = value;
        }
    }

    private byte[]? KeyField(string key)
    {
        if (_keys.TryGetValue(key, out byte[]? bytes))
        {
            return bytes;
        }
        if (_keys.Count >= CacheLimit)
        {
            return null;
        }
        bytes = OtlpProtobuf.EncodeKeyField(key);
        _keys.Add(key, bytes);
        return bytes;
    }

    private void WriteSpan(Utf8JsonWriter json, SpanRecord span, bool plain)
    {
        SpanDescriptor? descriptor = span.Descriptor;
        SiteBytes? site = null;
        if (descriptor is not null && !plain)
        {
            site = ReferenceEquals(descriptor, _lastDescriptor) ? _lastSite : Site(descriptor);
        }
        json.WriteStartObject();
        OtlpJsonWriter.WriteTraceId(json, OtlpJsonFields.TraceId, span.TraceId);
        OtlpJsonWriter.WriteSpanId(json, OtlpJsonFields.SpanId, span.SpanId);
        if (!string.IsNullOrEmpty(span.TraceState))
        {
            json.WriteString(OtlpJsonFields.TraceState, span.TraceState);
        }
        if (span.ParentSpanId.IsValid)
        {
            OtlpJsonWriter.WriteSpanId(json, OtlpJsonFields.ParentSpanId, span.ParentSpanId);
        }
        json.WriteNumber(OtlpJsonFields.Flags, SpanFlags(span));
        if (site is not null && ReferenceEquals(site.Name, span.Name))
        {
            json.WriteString(OtlpJsonFields.Name, site.JsonName);
        }
        else
        {
            json.WriteString(OtlpJsonFields.Name, span.Name ?? string.Empty);
        }
        json.WriteNumber(OtlpJsonFields.Kind, OtlpKind(span.Kind));
        OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.StartTimeUnixNano, span.StartUnixNano);
        OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.EndTimeUnixNano, span.EndUnixNano);
        int total = span.TotalAttributeCount;
        if (total > 0)
        {
            json.WriteStartArray(OtlpJsonFields.Attributes);
            if (site is not null)
            {
                foreach (byte[] constant in site.JsonAttributes)
                {
                    json.WriteRawValue(constant, skipInputValidation: true);
                }
            }
            else if (descriptor is not null)
            {
                foreach (ref readonly KeyValue attribute in descriptor.Attributes.AsSpan())
                {
                    OtlpJsonWriter.WriteKeyValue(json, attribute);
                }
            }
            KeyValue[] attributes = span.Attributes;
            int count = Math.Min(span.AttributeCount, attributes.Length);
            string?[] memoKeys = site is not null ? site.OwnJsonKeys : _plainJsonKeys;
            JsonKeyBytes?[] memoBytes = site is not null ? site.OwnJsonKeyBytes : _plainJsonKeyBytes;
            for (int i = 0; i < count; i++)
            {
                ref readonly KeyValue attribute = ref attributes[i];
                JsonKeyBytes? key = null;
                if (!plain && !TryRecall(memoKeys, memoBytes, i, attribute.Key, out key))
                {
                    key = JsonKey(attribute.Key);
                    Remember(memoKeys, memoBytes, i, attribute.Key, key);
                }
                if (key is null)
                {
                    OtlpJsonWriter.WriteKeyValue(json, attribute);
                }
                else if (!TryWriteRawKeyValue(json, key.Prefix, attribute.Value))
                {
                    OtlpJsonWriter.WriteKeyValue(json, key.Text, attribute.Value);
                }
            }
            json.WriteEndArray();
        }
        if (span.DroppedAttributes > 0)
        {
            json.WriteNumber(OtlpJsonFields.DroppedAttributesCount, span.DroppedAttributes);
        }
        if (span.EventCount > 0)
        {
            json.WriteStartArray(OtlpJsonFields.Events);
            for (int i = 0; i < span.EventCount; i++)
            {
                ref readonly SpanEvent e = ref span.Events[i];
                json.WriteStartObject();
                OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.TimeUnixNano, e.TimeUnixNano);
                json.WriteString(OtlpJsonFields.Name, e.Name ?? string.Empty);
                OtlpJsonWriter.WriteKeyValues(json, OtlpJsonFields.Attributes, span.NestedRange(e.AttributeStart, e.AttributeCount));
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        if (span.DroppedEvents > 0)
        {
            json.WriteNumber(OtlpJsonFields.DroppedEventsCount, span.DroppedEvents);
        }
        if (span.LinkCount > 0)
        {
            json.WriteStartArray(OtlpJsonFields.Links);
            for (int i = 0; i < span.LinkCount; i++)
            {
                ref readonly SpanLink link = ref span.Links[i];
                json.WriteStartObject();
                OtlpJsonWriter.WriteTraceId(json, OtlpJsonFields.TraceId, link.TraceId);
                OtlpJsonWriter.WriteSpanId(json, OtlpJsonFields.SpanId, link.SpanId);
                if (!string.IsNullOrEmpty(link.TraceState))
                {
                    json.WriteString(OtlpJsonFields.TraceState, link.TraceState);
                }
                OtlpJsonWriter.WriteKeyValues(json, OtlpJsonFields.Attributes, span.NestedRange(link.AttributeStart, link.AttributeCount));
                json.WriteNumber(OtlpJsonFields.Flags, LinkFlagsOf(link));
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        if (span.DroppedLinks > 0)
        {
            json.WriteNumber(OtlpJsonFields.DroppedLinksCount, span.DroppedLinks);
        }
        if (span.StatusCode != SpanStatusCode.Unset)
        {
            json.WriteStartObject(OtlpJsonFields.Status);
            if (span.StatusCode == SpanStatusCode.Error && !string.IsNullOrEmpty(span.StatusMessage))
            {
                json.WriteString(OtlpJsonFields.Message, span.StatusMessage);
            }
            json.WriteNumber(OtlpJsonFields.Code, (int)span.StatusCode);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }
}
