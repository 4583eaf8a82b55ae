using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

public class OtlpExporterSetupTests
{
    private static readonly string[] s_variables =
    {
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTELGEN_EXPORT_SPOOL_DIR",
        "OTELGEN_EXPORT_SPOOL_MAX_BYTES", "OTELGEN_EXPORT_FILE",
    };

    private static T WithEnvironment<T>(Dictionary<string, string> values, Func<T> action) =>
        ExportTestKit.WithEnvironment(s_variables, values, action);

    [Fact]
    public void Standard_variables_configure_the_exporter()
    {
        OtlpExporterOptions options = WithEnvironment(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318/base/",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "Authorization=Bearer%20abc%3D, x-list=a%2Cb",
            ["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = "x-list=traces",
            ["OTEL_EXPORTER_OTLP_COMPRESSION"] = "gzip",
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "1234",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "250",
            ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "64",
            ["OTEL_BSP_MAX_QUEUE_SIZE"] = "1000",
            ["OTEL_BSP_EXPORT_TIMEOUT"] = "5000",
            ["OTELGEN_EXPORT_SPOOL_DIR"] = "/tmp/spool",
            ["OTELGEN_EXPORT_SPOOL_MAX_BYTES"] = "1048576",
        }, OtlpExporterOptions.FromEnvironment);

        Assert.Equal(new Uri("http://collector:4318/base/v1/traces"), options.Endpoint);
        Assert.Equal(OtlpProtocol.HttpJson, options.Protocol);
        Assert.Equal(new[] { "Authorization=Bearer abc=", "x-list=traces" }, options.Headers.Select(h => h.Key + "=" + h.Value));
        Assert.True(options.Gzip);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), options.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.ScheduleDelay);
        Assert.Equal(64, options.MaxExportBatchSize);
        Assert.Equal(1000, options.MaxQueueSize);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ExportTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), options.BatchDeadline);
        Assert.Equal("/tmp/spool", options.SpoolDirectory);
        Assert.Equal(1048576, options.SpoolMaxBytes);
    }

    [Theory]
    [InlineData("http://collector:4318", "http://collector:4318/v1/traces")]
    [InlineData("https://otlp.example.com", "https://otlp.example.com/v1/traces")]
    [InlineData("http://10.0.0.1:4318/otlp", "http://10.0.0.1:4318/otlp/v1/traces")]
    public void The_generic_endpoint_gets_v1_traces_appended(string generic, string expected)
    {
        Uri? endpoint = WithEnvironment(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = generic }, OtlpExporterOptions.TracesEndpoint);
        Assert.Equal(new Uri(expected), endpoint);
    }

    [Fact]
    public void The_traces_endpoint_is_used_as_is_and_wins()
    {
        Uri? endpoint = WithEnvironment(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://generic:4318",
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "https://traces.example.com:443/custom/path",
        }, OtlpExporterOptions.TracesEndpoint);
        Assert.Equal(new Uri("https://traces.example.com:443/custom/path"), endpoint);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://collector:21/")]
    [InlineData("collector:4318")]
    public void A_bad_endpoint_gives_one_clear_warning_and_no_exporter(string bad)
    {
        Uri? endpoint = null;
        string warnings = ExportTestKit.CaptureStderr(() =>
            endpoint = WithEnvironment(new() { ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = bad + " " + Guid.NewGuid().ToString("N")[..6] }, OtlpExporterOptions.TracesEndpoint));
        Assert.Null(endpoint);
        Assert.Single(warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") && l.Contains("is not an absolute http:// or https:// URL"));
        Assert.Null(OtlpExporter.Start(new OtlpExporterOptions()));
    }

    [Fact]
    public void The_queue_bound_is_the_ring_when_unset_and_exactly_the_variable_when_set()
    {
        Assert.Equal(0, WithEnvironment(new(), OtlpExporterOptions.FromEnvironment).MaxQueueSize);
        Assert.Equal(2048, WithEnvironment(new() { ["OTEL_BSP_MAX_QUEUE_SIZE"] = "2048" }, OtlpExporterOptions.FromEnvironment).MaxQueueSize);
        // A batch larger than a set queue is cut to the queue, with a warning; unset, the batch stays.
        OtlpExporterOptions small = WithEnvironment(new() { ["OTEL_BSP_MAX_QUEUE_SIZE"] = "100", ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "512" }, OtlpExporterOptions.FromEnvironment);
        Assert.Equal((100, 100), (small.MaxQueueSize, small.MaxExportBatchSize));
        OtlpExporterOptions unset = WithEnvironment(new() { ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "4096" }, OtlpExporterOptions.FromEnvironment);
        Assert.Equal((0, 4096), (unset.MaxQueueSize, unset.MaxExportBatchSize));
    }

    [Fact]
    public void Malformed_numbers_fall_back_to_defaults()
    {
        OtlpExporterOptions options = WithEnvironment(new()
        {
            ["OTEL_BSP_MAX_QUEUE_SIZE"] = "lots",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "soon",
            ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "-3",
            ["OTEL_EXPORTER_OTLP_COMPRESSION"] = "brotli",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "thrift",
        }, OtlpExporterOptions.FromEnvironment);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ScheduleDelay);
        Assert.Equal(512, options.MaxExportBatchSize);
        Assert.Equal(0, options.MaxQueueSize);
        Assert.False(options.Gzip);
        Assert.Equal(OtlpProtocol.HttpProtobuf, options.Protocol);
    }

    [Fact]
    public void The_resource_names_the_service_and_the_sdk()
    {
        OtlpResource resource = WithEnvironment(new()
        {
            ["OTEL_SERVICE_NAME"] = "checkout",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "service.name=ignored,deployment.environment.name=prod,team=a%20b",
        }, () => OtlpResource.Create());
        var attributes = resource.Attributes.ToDictionary(a => a.Key, a => a.Value.ToString());
        Assert.Equal("service.name", resource.Attributes[0].Key);
        Assert.Equal("checkout", attributes["service.name"]);
        Assert.Equal("prod", attributes["deployment.environment.name"]);
        Assert.Equal("a b", attributes["team"]);
        Assert.Equal("otelgen", attributes["telemetry.sdk.name"]);
        Assert.Equal("dotnet", attributes["telemetry.sdk.language"]);
        Assert.Equal(OtlpResource.SdkVersion, attributes["telemetry.sdk.version"]);

        OtlpResource fromAttributes = WithEnvironment(new() { ["OTEL_RESOURCE_ATTRIBUTES"] = "service.name=billing" }, () => OtlpResource.Create());
        Assert.Equal("billing", fromAttributes.ServiceName);

        OtlpResource fallback = WithEnvironment(new(), () => OtlpResource.Create());
        Assert.Equal("unknown_service:" + System.Diagnostics.Process.GetCurrentProcess().ProcessName, fallback.ServiceName);

        OtlpResource coded = WithEnvironment(new() { ["OTEL_SERVICE_NAME"] = "env" }, () => OtlpResource.Create("code", new KeyValue[] { new("team", "x") }));
        Assert.Equal("code", coded.ServiceName);
    }

    [Fact]
    public void Retry_After_accepts_seconds_and_http_dates()
    {
        var now = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(3), OtlpHttpTransport.ParseRetryAfter("3", now));
        Assert.Equal(TimeSpan.FromSeconds(5), OtlpHttpTransport.ParseRetryAfter(now.AddSeconds(5).ToString("r", CultureInfo.InvariantCulture), now));
        Assert.Equal(TimeSpan.Zero, OtlpHttpTransport.ParseRetryAfter(now.AddSeconds(-5).ToString("r", CultureInfo.InvariantCulture), now));
        Assert.Null(OtlpHttpTransport.ParseRetryAfter("soon", now));
        Assert.Null(OtlpHttpTransport.ParseRetryAfter(null, now));
        Assert.True(OtlpHttpTransport.IsRetryable(429) && OtlpHttpTransport.IsRetryable(502) && OtlpHttpTransport.IsRetryable(503) && OtlpHttpTransport.IsRetryable(504));
        Assert.False(OtlpHttpTransport.IsRetryable(400) || OtlpHttpTransport.IsRetryable(413) || OtlpHttpTransport.IsRetryable(500) || OtlpHttpTransport.IsRetryable(501));
    }

    [Fact]
    public void Start_exports_the_global_ring_and_a_second_start_takes_over_without_duplicates()
    {
        using var first = new LoopbackCollector();
        using var second = new LoopbackCollector();
        string tag = Guid.NewGuid().ToString("N")[..8];
        OtlpExporter? a = OtlpExporter.Start(ExportTestKit.Options(first.TracesUrl));
        Assert.NotNull(a);
        Assert.Same(a, OtlpExporter.Current);
        for (int i = 0; i < 10; i++)
        {
            SpanRecord span = ExportTestKit.Span(i);
            span.Name = tag + "-a-" + i;
            Tracing.Ring.Write(span);
        }
        Assert.True(Tracing.Flush(TimeSpan.FromSeconds(30)));

        OtlpExporter? b = OtlpExporter.Start(o =>
        {
            o.Endpoint = second.TracesUrl;
            o.ScheduleDelay = TimeSpan.FromMilliseconds(20);
            o.FlushOnProcessExit = false;
        });
        Assert.NotNull(b);
        Assert.Same(b, OtlpExporter.Current);
        Assert.True(a!.IsStopped);
        for (int i = 0; i < 10; i++)
        {
            SpanRecord span = ExportTestKit.Span(i);
            span.Name = tag + "-b-" + i;
            Tracing.Ring.Write(span);
        }
        Assert.True(Tracing.Shutdown(TimeSpan.FromSeconds(30)));
        Assert.Null(OtlpExporter.Current);

        List<string> toFirst = ExportTestKit.ReceivedSpanNames(first).Where(n => n.StartsWith(tag, StringComparison.Ordinal)).ToList();
        List<string> toSecond = ExportTestKit.ReceivedSpanNames(second).Where(n => n.StartsWith(tag, StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => tag + "-a-" + i), toFirst);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => tag + "-b-" + i), toSecond);
    }
}
