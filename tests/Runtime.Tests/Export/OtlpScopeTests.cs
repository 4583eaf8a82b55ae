using System.Linq;
using System.Text.Json;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// A recorded library Activity's span is reported under its ActivitySource's instrumentation scope, OtelGen's own
/// spans under OtelGen's: protobuf (fast and plain, byte for byte) decoded with the official OTLP protos, and JSON.
/// </summary>
public sealed class OtlpScopeTests
{
    private static SpanRecord Span(int n, string? scope, string? version = null)
    {
        var span = new SpanRecord
        {
            Name = "s" + n,
            TraceId = new TraceId(1, 2),
            SpanId = new SpanId((ulong)n + 1),
            StartUnixNano = 1000,
            EndUnixNano = 2000,
            ScopeName = scope,
            ScopeVersion = version,
        };
        return span;
    }

    private static SpanRecord[] Mixed() => new[]
    {
        Span(0, "Npgsql", "10.0.3"),
        Span(1, null),
        Span(2, null),
        Span(3, "System.Net.Http"),
        Span(4, null),
    };

    [Fact]
    public void Spans_go_under_their_own_scope_in_runs_and_fast_equals_plain()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("scopes"));
        using var fast = new PooledBuffer(64);
        using var plain = new PooledBuffer(64);
        encoder.EncodeProtobuf(Mixed(), fast);
        encoder.EncodeProtobufPlain(Mixed(), plain);
        Assert.Equal(plain.WrittenSpan.ToArray(), fast.WrittenSpan.ToArray());

        ExportTraceServiceRequest request = ExportTraceServiceRequest.Parser.ParseFrom(fast.WrittenSpan.ToArray());
        var scopes = request.ResourceSpans.Single().ScopeSpans
            .Select(s => (s.Scope.Name, s.Scope.Version, Spans: string.Join(",", s.Spans.Select(x => x.Name))))
            .ToList();
        Assert.Equal(
            new[] { ("Npgsql", "10.0.3", "s0"), (OtlpResource.ScopeName, OtlpResource.SdkVersion, "s1,s2"), ("System.Net.Http", "", "s3"), (OtlpResource.ScopeName, OtlpResource.SdkVersion, "s4") },
            scopes.ToArray());
    }

    [Fact]
    public void Json_reports_the_same_scopes()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("scopes"));
        using var json = new PooledBuffer(64);
        encoder.EncodeJson(Mixed(), json);
        using JsonDocument document = JsonDocument.Parse(json.WrittenSpan.ToArray());
        var scopes = document.RootElement.GetProperty("resourceSpans")[0].GetProperty("scopeSpans").EnumerateArray()
            .Select(s => (s.GetProperty("scope").GetProperty("name").GetString()!, string.Join(",", s.GetProperty("spans").EnumerateArray().Select(x => x.GetProperty("name").GetString()))))
            .ToArray();
        Assert.Equal(new[] { ("Npgsql", "s0"), (OtlpResource.ScopeName, "s1,s2"), ("System.Net.Http", "s3"), (OtlpResource.ScopeName, "s4") }, scopes);
    }

    [Fact]
    public void A_batch_of_OtelGen_spans_alone_has_one_scope_as_before()
    {
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("scopes"));
        using var fast = new PooledBuffer(64);
        encoder.EncodeProtobuf(new[] { Span(0, null), Span(1, null) }, fast);
        ExportTraceServiceRequest request = ExportTraceServiceRequest.Parser.ParseFrom(fast.WrittenSpan.ToArray());
        Assert.Equal(OtlpResource.ScopeName, Assert.Single(request.ResourceSpans.Single().ScopeSpans).Scope.Name);
    }
}
