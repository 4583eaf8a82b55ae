using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using Google.Protobuf;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Metrics;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// OTLP/gRPC against a real gRPC server (Grpc.AspNetCore on Kestrel, HTTP/2 cleartext, 127.0.0.1) that decodes the
/// calls with the official OTLP service definitions. Every test ends by itself; no assertion depends on timing.
/// </summary>
public class OtlpGrpcTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static OtlpExporterOptions GrpcOptions(GrpcCollector collector)
    {
        OtlpExporterOptions options = ExportTestKit.Options(collector.Endpoint);
        options.Protocol = OtlpProtocol.Grpc;
        return options;
    }

    private static List<OpenTelemetry.Proto.Trace.V1.Span> Spans(GrpcCollector collector) =>
        collector.Received.Where(c => c.Method == "traces").Select(c => (ExportTraceServiceRequest)c.Request)
            .SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).ToList();

    [Fact]
    public void Spans_arrive_decoded_and_equal_to_what_was_recorded()
    {
        using var collector = new GrpcCollector();
        SpanRing ring = ExportTestKit.RingWith(150);
        var exporter = new OtlpExporter(ring, GrpcOptions(collector));
        Assert.True(exporter.ForceFlush(Limit));
        Assert.True(exporter.Shutdown(Limit));

        Assert.Equal("grpc", exporter.TargetName);
        List<GrpcCall> calls = collector.Received;
        Assert.All(calls, c =>
        {
            Assert.Equal("traces", c.Method);
            Assert.Equal("application/grpc", c.ContentType);
            Assert.Equal("HTTP/2", c.Protocol);
            Assert.Equal(0, c.CompressedFlag);
            Assert.StartsWith("OtelGen/", c.Metadata["user-agent"], StringComparison.Ordinal);
            Assert.False(c.Metadata.ContainsKey("traceparent"));
            var request = (ExportTraceServiceRequest)c.Request;
            Assert.Equal("export-tests", request.ResourceSpans[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        });
        List<OpenTelemetry.Proto.Trace.V1.Span> spans = Spans(collector);
        Assert.Equal(150, spans.Count);
        for (int i = 0; i < spans.Count; i++)
        {
            SpanRecord expected = ExportTestKit.Span(i);
            OpenTelemetry.Proto.Trace.V1.Span actual = spans[i];
            Assert.Equal(expected.Name, actual.Name);
            Assert.Equal(expected.TraceId.ToHexString(), Convert.ToHexStringLower(actual.TraceId.ToByteArray()));
            Assert.Equal(expected.SpanId.ToHexString(), Convert.ToHexStringLower(actual.SpanId.ToByteArray()));
            Assert.Equal(expected.ParentSpanId.ToHexString(), Convert.ToHexStringLower(actual.ParentSpanId.ToByteArray()));
            Assert.Equal(OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client, actual.Kind);
            Assert.Equal((ulong)expected.StartUnixNano, actual.StartTimeUnixNano);
            Assert.Equal((ulong)expected.EndUnixNano, actual.EndTimeUnixNano);
            Assert.Equal(i, actual.Attributes.Single(a => a.Key == "n").Value.IntValue);
            Assert.Equal("blog_post", actual.Attributes.Single(a => a.Key == "db.collection.name").Value.StringValue);
        }
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(150, s.Exported);
        Assert.Equal(0, s.Dropped);
        Assert.Equal(0, s.Retries);
        Assert.Equal(calls.Count, s.Exports);
        ExportTestKit.AssertAccounted(exporter, 150);
    }

    [Fact]
    public void Metrics_arrive_decoded_on_the_metrics_service()
    {
        using var collector = new GrpcCollector();
        using var meter = new Meter("test.grpc." + Guid.NewGuid().ToString("N"));
        using var metrics = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) });
        var exporter = new OtlpMetricsExporter(new OtlpMetricsExporterOptions
        {
            Endpoint = collector.Endpoint,
            Protocol = OtlpProtocol.Grpc,
            Collector = metrics,
            Timeout = TimeSpan.FromSeconds(10),
            ServiceName = "grpc-metrics-test",
            // Given in code, as for traces: metrics carry the same resource.
            ResourceAttributes = { new KeyValue("deployment.environment.name", "staging") },
            FlushOnProcessExit = false,
        }, startThread: false);
        meter.CreateCounter<long>("app.jobs.done").Add(3);
        Assert.True(exporter.ExportNow());
        exporter.Dispose();

        GrpcCall first = collector.Received.First();
        Assert.Equal("metrics", first.Method);
        var request = (ExportMetricsServiceRequest)first.Request;
        Assert.Equal("grpc-metrics-test", request.ResourceMetrics[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        Assert.Equal("staging", request.ResourceMetrics[0].Resource.Attributes.Single(a => a.Key == "deployment.environment.name").Value.StringValue);
        OpenTelemetry.Proto.Metrics.V1.Metric metric = request.ResourceMetrics.SelectMany(r => r.ScopeMetrics).SelectMany(s => s.Metrics).Single();
        Assert.Equal("app.jobs.done", metric.Name);
        Assert.True(metric.Sum.IsMonotonic);
        Assert.Equal(3, metric.Sum.DataPoints.Single().AsInt);
        Assert.Equal(collector.Calls, exporter.Exports);
        Assert.Equal(0, exporter.Failures);
    }

    [Fact]
    public void Gzip_sets_grpc_encoding_and_the_compressed_flag_and_headers_go_as_metadata()
    {
        using var collector = new GrpcCollector();
        SpanRing ring = ExportTestKit.RingWith(30);
        OtlpExporterOptions options = GrpcOptions(collector);
        options.Gzip = true;
        options.Headers.Add(new("Authorization", "Bearer abc="));
        options.Headers.Add(new("X-Tenant", "t1"));
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.Shutdown(Limit));

        GrpcCall call = Assert.Single(collector.Received);
        Assert.Equal("gzip", call.GrpcEncoding);
        Assert.Equal(1, call.CompressedFlag);
        Assert.Equal("Bearer abc=", call.Metadata["authorization"]);
        Assert.Equal("t1", call.Metadata["x-tenant"]);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => "span-" + i), Spans(collector).Select(s => s.Name));
        Assert.Equal(30, exporter.Statistics.Exported);
    }

    [Fact]
    public void Unavailable_then_ok_is_retried_and_counted_once()
    {
        using var collector = new GrpcCollector(n => n < 2 ? new GrpcReply(StatusCode.Unavailable, "starting") : GrpcReply.Ok);
        SpanRing ring = ExportTestKit.RingWith(40);
        var exporter = new OtlpExporter(ring, GrpcOptions(collector));
        Assert.True(exporter.Shutdown(Limit));

        Assert.Equal(3, collector.Calls);
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(2, s.Retries);
        Assert.Equal(1, s.Exports);
        Assert.Equal(0, s.Failures);
        Assert.Equal(40, s.Exported);
        Assert.Equal(0, s.Dropped);
        ExportTestKit.AssertAccounted(exporter, 40);
    }

    [Fact]
    public void Resource_exhausted_with_RetryInfo_is_retried_after_the_given_delay()
    {
        using var collector = new GrpcCollector(n => n == 0 ? new GrpcReply(StatusCode.ResourceExhausted, "slow down", RetryDelay: TimeSpan.FromMilliseconds(150)) : GrpcReply.Ok);
        // The backoff would be 10 minutes: only the server's delay lets the retry happen within the deadline.
        using var transport = new OtlpGrpcTransport(collector.Endpoint, OtlpGrpcTransport.TracesPath, retry: new RetryPolicy { InitialBackoff = TimeSpan.FromMinutes(10), MaxBackoff = TimeSpan.FromMinutes(10) });
        ExportResult result = transport.Send(new ExportTraceServiceRequest().ToByteArray(), DateTime.UtcNow + Limit);

        Assert.Equal(ExportOutcome.Success, result.Outcome);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(150), transport.LastServerDelay);
        Assert.Equal(1, transport.Retries);
    }

    [Fact]
    public void Resource_exhausted_without_RetryInfo_is_not_retried()
    {
        using var collector = new GrpcCollector(_ => new GrpcReply(StatusCode.ResourceExhausted, "too big"));
        using var transport = new OtlpGrpcTransport(collector.Endpoint, OtlpGrpcTransport.TracesPath);
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            ExportResult result = transport.Send(new ExportTraceServiceRequest().ToByteArray(), DateTime.UtcNow + Limit);
            Assert.Equal(ExportOutcome.Rejected, result.Outcome);
            Assert.Equal(1, result.Attempts);
        });
        Assert.Equal(1, collector.Calls);
        Assert.Equal(8, transport.LastGrpcStatus);
        Assert.Contains("RESOURCE_EXHAUSTED", warnings);
    }

    [Fact]
    public void Invalid_argument_is_not_retried_and_the_batch_counts_as_rejected()
    {
        using var collector = new GrpcCollector(_ => new GrpcReply(StatusCode.InvalidArgument, "bad span"));
        SpanRing ring = ExportTestKit.RingWith(25);
        OtlpExporter exporter = null!;
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            exporter = new OtlpExporter(ring, GrpcOptions(collector));
            Assert.True(exporter.Shutdown(Limit));
        });

        Assert.Equal(1, collector.Calls);
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(0, s.Retries);
        Assert.Equal(25, s.DroppedRejected);
        Assert.Equal(0, s.Exported);
        Assert.Equal(1, s.Failures);
        Assert.Contains("status 3 (INVALID_ARGUMENT)", warnings);
        Assert.Contains("bad span", warnings);
        ExportTestKit.AssertAccounted(exporter, 25);
    }

    [Fact]
    public void Partial_success_counts_the_rejected_spans()
    {
        using var collector = new GrpcCollector(_ => new GrpcReply(Rejected: 4, PartialMessage: "4 spans too old"));
        SpanRing ring = ExportTestKit.RingWith(20);
        OtlpExporter exporter = null!;
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            exporter = new OtlpExporter(ring, GrpcOptions(collector));
            Assert.True(exporter.Shutdown(Limit));
        });

        Assert.Equal(1, collector.Calls);
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(16, s.Exported);
        Assert.Equal(4, s.DroppedRejected);
        Assert.Equal(1, s.Exports);
        Assert.Equal(0, s.Retries);
        Assert.Contains("4 item(s) rejected: 4 spans too old", warnings);
        ExportTestKit.AssertAccounted(exporter, 20);
    }

    [Fact]
    public void A_server_that_never_answers_ends_at_the_timeout()
    {
        using var collector = new GrpcCollector(_ => new GrpcReply(Hang: true));
        using var transport = new OtlpGrpcTransport(collector.Endpoint, OtlpGrpcTransport.TracesPath);
        var watch = Stopwatch.StartNew();
        ExportResult result = default;
        ExportTestKit.CaptureStderr(() => result = transport.Send(new ExportTraceServiceRequest().ToByteArray(), DateTime.UtcNow + TimeSpan.FromMilliseconds(500)));

        Assert.Equal(ExportOutcome.RetryableFailure, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.Equal(1, collector.Calls);
        Assert.True(watch.Elapsed < Limit, watch.Elapsed.ToString());
    }

    [Fact]
    public void The_request_carries_no_trace_context_and_the_callers_Activity_is_kept()
    {
        using var collector = new GrpcCollector();
        using var transport = new OtlpGrpcTransport(collector.Endpoint, OtlpGrpcTransport.TracesPath);
        var ours = new List<Activity>();
        string port = ":" + collector.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/";
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = a =>
            {
                if (a.GetTagItem("url.full") is string url && url.Contains(port, StringComparison.Ordinal))
                {
                    lock (ours)
                    {
                        ours.Add(a);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var outer = new Activity("app").Start();
        try
        {
            Assert.Equal(ExportOutcome.Success, transport.Send(new ExportTraceServiceRequest().ToByteArray(), DateTime.UtcNow + Limit).Outcome);
            Assert.Same(outer, Activity.Current);
        }
        finally
        {
            outer.Stop();
        }
        GrpcCall call = Assert.Single(collector.Received);
        Assert.False(call.Metadata.ContainsKey("traceparent"));
        Assert.False(call.Metadata.ContainsKey("tracestate"));
        // No propagator: HttpClient's diagnostics handler is not in the chain, so no System.Net.Http Activity either.
        lock (ours)
        {
            Assert.Empty(ours);
        }
    }

    [Fact]
    public void A_collector_that_is_down_is_retried_until_the_deadline()
    {
        int port = LoopbackCollector.FreePort();
        using var transport = new OtlpGrpcTransport(new Uri($"http://127.0.0.1:{port}"), OtlpGrpcTransport.TracesPath, retry: new RetryPolicy { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(50) });
        ExportResult result = default;
        string warnings = ExportTestKit.CaptureStderr(() => result = transport.Send(new byte[] { 0x0A, 0x00 }, DateTime.UtcNow + TimeSpan.FromMilliseconds(600)));

        Assert.Equal(ExportOutcome.RetryableFailure, result.Outcome);
        Assert.True(result.Attempts >= 2, result.Attempts.ToString());
        Assert.Equal(result.Attempts - 1, transport.Retries);
        Assert.Contains($"cannot export to the OTLP/gRPC endpoint http://127.0.0.1:{port}{OtlpGrpcTransport.TracesPath}", warnings);
    }

    [Fact]
    public void Protocol_grpc_from_the_environment_selects_gRPC_without_a_warning_and_keeps_the_endpoint_as_is()
    {
        _ = Tracing.Ring; // tracing's own start-up reads the environment first, not the test's variables
        string[] variables = { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" };
        var saved = variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317");
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", null);
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", null);
            OtlpExporterOptions traces = null!;
            OtlpMetricsExporterOptions metrics = null!;
            string warnings = ExportTestKit.CaptureStderr(() =>
            {
                traces = OtlpExporterOptions.FromEnvironment();
                metrics = OtlpMetricsExporterOptions.FromEnvironment();
            });
            Assert.DoesNotContain("grpc", warnings, StringComparison.OrdinalIgnoreCase);
            Assert.True(traces.UseGrpc);
            Assert.True(metrics.UseGrpc);
            Assert.Equal(OtlpProtocol.Grpc, traces.Protocol);
            Assert.Equal(OtlpProtocol.Grpc, metrics.Protocol);
            Assert.Equal("http://127.0.0.1:4317/", traces.Endpoint!.ToString());
            Assert.Equal("http://127.0.0.1:4317/", metrics.Endpoint!.ToString());
            Assert.Equal(OtlpProtocol.Grpc, traces.Clone().Protocol);

            // The signal's own variable wins: metrics over http/protobuf get /v1/metrics, traces stay on gRPC.
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", null);
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc");
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf");
            Assert.True(OtlpExporterOptions.FromEnvironment().UseGrpc);
            metrics = OtlpMetricsExporterOptions.FromEnvironment();
            Assert.False(metrics.UseGrpc);
            Assert.Equal("http://127.0.0.1:4317/v1/metrics", metrics.Endpoint!.ToString());
        }
        finally
        {
            foreach (KeyValuePair<string, string?> pair in saved)
            {
                Environment.SetEnvironmentVariable(pair.Key, pair.Value);
            }
        }
    }

    [Fact]
    public void Grpc_chosen_in_code_sends_logs_to_the_logs_service()
    {
        using var collector = new GrpcCollector();
        var exporter = new OtlpLogsExporter(new OtlpLogsExporterOptions
        {
            Endpoint = collector.Endpoint,
            Protocol = OtlpProtocol.Grpc,
            ServiceName = "grpc-logs-test",
            ResourceAttributes = { new KeyValue("deployment.environment.name", "staging") },
            FlushOnProcessExit = false,
        }, startThread: false);
        Assert.IsType<OtlpGrpcTransport>(exporter.Sender);
        Assert.True(exporter.TryEnqueue(new OtelGen.Export.Otlp.OtlpLogRecord { TimeUnixNano = 5, ObservedTimeUnixNano = 6, SeverityNumber = 13, SeverityText = "Warning", Body = "disk 91% full", Category = "Ops" }));
        Assert.True(exporter.Flush(Limit));
        exporter.Dispose();

        GrpcCall call = Assert.Single(collector.Received);
        Assert.Equal("logs", call.Method);
        Assert.Equal("HTTP/2", call.Protocol);
        var request = (OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest)call.Request;
        Assert.Equal("grpc-logs-test", request.ResourceLogs[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        Assert.Equal("staging", request.ResourceLogs[0].Resource.Attributes.Single(a => a.Key == "deployment.environment.name").Value.StringValue);
        OpenTelemetry.Proto.Logs.V1.LogRecord record = request.ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords).Single();
        Assert.Equal("disk 91% full", record.Body.StringValue);
        Assert.Equal(1, exporter.Exported);
    }

    [Fact]
    public void Grpc_chosen_in_code_uses_the_environments_generic_endpoint_as_is_and_http_chosen_in_code_appends_the_path()
    {
        using var collector = new GrpcCollector();
        string[] variables = { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL" };
        string generic = collector.Endpoint.ToString().TrimEnd('/');

        // The environment says http/protobuf: the traces endpoint is the base plus /v1/traces. Code chooses gRPC and leaves
        // the endpoint alone: the exporter calls the TraceService on the base URL, as the environment's rule for gRPC says.
        OtlpExporterOptions options = ExportTestKit.WithEnvironment(variables, new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = generic }, OtlpExporterOptions.FromEnvironment);
        Assert.Equal(generic + "/v1/traces", options.Endpoint!.ToString());
        options.Protocol = OtlpProtocol.Grpc;
        options.ScheduleDelay = TimeSpan.FromMilliseconds(20);
        options.FlushOnProcessExit = false;
        SpanRing ring = ExportTestKit.RingWith(12);
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.Shutdown(Limit));
        Assert.Equal("grpc", exporter.TargetName);
        Assert.Equal(generic + "/", exporter.Options.Endpoint!.ToString());
        Assert.Equal(12, Spans(collector).Count);
        Assert.Equal(12, exporter.Statistics.Exported);

        // The same for metrics.
        OtlpMetricsExporterOptions metrics = ExportTestKit.WithEnvironment(variables, new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = generic }, OtlpMetricsExporterOptions.FromEnvironment);
        metrics.Protocol = OtlpProtocol.Grpc;
        metrics.FlushOnProcessExit = false;
        using var meter = new Meter("test.grpc.code." + Guid.NewGuid().ToString("N"));
        metrics.Collector = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) });
        meter.CreateCounter<long>("app.items").Add(2);
        using (var metricsExporter = new OtlpMetricsExporter(metrics, startThread: false))
        {
            Assert.True(metricsExporter.ExportNow());
        }
        Assert.Contains(collector.Received, c => c.Method == "metrics");
        metrics.Collector.Dispose();

        // The other way round: the environment says grpc (the base as is); code chooses http/protobuf: /v1/traces is appended.
        OtlpExporterOptions http = ExportTestKit.WithEnvironment(variables, new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc" }, OtlpExporterOptions.FromEnvironment);
        Assert.Equal("http://127.0.0.1:4317/", http.Endpoint!.ToString());
        http.Protocol = OtlpProtocol.HttpProtobuf;
        Assert.Equal("http://127.0.0.1:4317/v1/traces", http.ResolvedEndpoint()!.ToString());
        // An endpoint set in code is used as it is, whatever the protocol.
        http.Endpoint = new Uri("http://127.0.0.1:4317/custom");
        Assert.Equal("http://127.0.0.1:4317/custom", http.ResolvedEndpoint()!.ToString());
        // A signal's own endpoint variable is used as is for either protocol.
        OtlpExporterOptions specific = ExportTestKit.WithEnvironment(variables, new() { ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://127.0.0.1:4317/p" }, OtlpExporterOptions.FromEnvironment);
        specific.Protocol = OtlpProtocol.Grpc;
        Assert.Equal("http://127.0.0.1:4317/p", specific.ResolvedEndpoint()!.ToString());
    }

    [Fact]
    public void The_method_path_is_appended_to_the_endpoint_and_a_path_prefix_is_kept()
    {
        using var transport = new OtlpGrpcTransport(new Uri("https://collector.example:4317/prefix/"), OtlpGrpcTransport.MetricsPath);
        Assert.Equal("https://collector.example:4317/prefix/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", transport.Endpoint.ToString());
        Assert.Equal(OtelGen.Export.Otlp.OtlpProtocol.HttpProtobuf, transport.Protocol);
    }

    [Theory]
    [InlineData(1, false, true)]
    [InlineData(4, false, true)]
    [InlineData(10, false, true)]
    [InlineData(11, false, true)]
    [InlineData(14, false, true)]
    [InlineData(15, false, true)]
    [InlineData(8, false, false)]
    [InlineData(8, true, true)]
    [InlineData(2, false, false)]
    [InlineData(3, false, false)]
    [InlineData(5, false, false)]
    [InlineData(7, false, false)]
    [InlineData(12, false, false)]
    [InlineData(13, false, false)]
    [InlineData(16, false, false)]
    public void Retryable_codes_follow_the_OTLP_table(int code, bool retryInfo, bool retryable) =>
        Assert.Equal(retryable, OtlpGrpcTransport.IsRetryable(code, retryInfo));

    [Fact]
    public void RetryInfo_is_read_from_grpc_status_details_bin_padded_or_not()
    {
        byte[] status = GrpcCollector.StatusWithRetryInfo(14, "later", TimeSpan.FromSeconds(2.5));
        string padded = Convert.ToBase64String(status);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), OtlpGrpcTransport.ParseRetryInfo(padded));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), OtlpGrpcTransport.ParseRetryInfo(padded.TrimEnd('=')));
        Assert.Null(OtlpGrpcTransport.ParseRetryInfo(null));
        Assert.Null(OtlpGrpcTransport.ParseRetryInfo("not base64!"));
        // A status without details.
        Assert.Null(OtlpGrpcTransport.ParseRetryInfo(Convert.ToBase64String(new byte[] { 0x08, 0x0E })));
        Assert.Equal("1500m", OtlpGrpcTransport.FormatTimeout(TimeSpan.FromMilliseconds(1500)));
        Assert.Equal(14, OtlpGrpcTransport.FromHttpStatus(503));
        Assert.Equal(12, OtlpGrpcTransport.FromHttpStatus(404));
    }
}
