using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Logs.V1;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using OtelGen.Tests.Shared;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// The OTLP logs export side: the <c>ExportLogsServiceRequest</c> encoder decoded with the official protos (and the
/// OTLP/JSON mapping), the exporter's queue and counters against a sender double, and the environment variables.
/// </summary>
public sealed class OtlpLogsExportTests
{
    private static readonly TraceId Trace = new(0x0102030405060708, 0x090a0b0c0d0e0f10);
    private static readonly SpanId Span = new(0x1112131415161718);

    private static OtlpLogRecord[] Sample()
    {
        var attributes = new KeyValue[6];
        attributes[0] = new KeyValue("order.id", 1234L);
        attributes[1] = new KeyValue("customer", "ada");
        attributes[2] = new KeyValue("paid", true);
        attributes[3] = new KeyValue("amount", 12.5);
        attributes[4] = new KeyValue("tags", AttributeValue.Of(new[] { "a", "b" }));
        return new[]
        {
            new OtlpLogRecord
            {
                TimeUnixNano = 1_700_000_000_000_000_001, ObservedTimeUnixNano = 1_700_000_000_000_000_002, SeverityNumber = 13,
                SeverityText = "Warning", Body = "Order 1234 placed", Attributes = attributes, AttributeCount = 5,
                TraceId = Trace, SpanId = Span, TraceFlags = 1, Category = "Shop.Orders", EventId = 42, EventName = "OrderPlaced",
            },
            new OtlpLogRecord { TimeUnixNano = 5, ObservedTimeUnixNano = 6, SeverityNumber = 9, SeverityText = "Information", Body = "other", Category = "Shop.Payments" },
            new OtlpLogRecord { TimeUnixNano = 7, ObservedTimeUnixNano = 8, SeverityNumber = 17, Body = "again", Category = "Shop.Orders" },
        };
    }

    [Fact]
    public void Protobuf_request_decodes_with_the_official_protos()
    {
        var encoder = new OtlpLogsEncoder(OtlpResource.Create("svc"));
        using var buffer = new PooledBuffer(64);
        encoder.Encode(Sample(), buffer, OtlpProtocol.HttpProtobuf);
        ExportLogsServiceRequest request = ExportLogsServiceRequest.Parser.ParseFrom(buffer.WrittenSpan.ToArray());

        var resource = Assert.Single(request.ResourceLogs);
        Assert.Equal("svc", resource.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        Assert.Equal(new[] { "Shop.Orders", "Shop.Payments" }, resource.ScopeLogs.Select(s => s.Scope.Name));
        Assert.Equal(new[] { "Order 1234 placed", "again" }, resource.ScopeLogs[0].LogRecords.Select(r => r.Body.StringValue));

        LogRecord first = resource.ScopeLogs[0].LogRecords[0];
        Assert.Equal(1_700_000_000_000_000_001UL, first.TimeUnixNano);
        Assert.Equal(1_700_000_000_000_000_002UL, first.ObservedTimeUnixNano);
        Assert.Equal(SeverityNumber.Warn, first.SeverityNumber);
        Assert.Equal("Warning", first.SeverityText);
        Assert.Equal("0102030405060708090a0b0c0d0e0f10", Convert.ToHexString(first.TraceId.ToByteArray()).ToLowerInvariant());
        Assert.Equal("1112131415161718", Convert.ToHexString(first.SpanId.ToByteArray()).ToLowerInvariant());
        Assert.Equal(1u, first.Flags);
        var attributes = first.Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(1234, attributes["order.id"].IntValue);
        Assert.Equal("ada", attributes["customer"].StringValue);
        Assert.True(attributes["paid"].BoolValue);
        Assert.Equal(12.5, attributes["amount"].DoubleValue);
        Assert.Equal(new[] { "a", "b" }, attributes["tags"].ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal(42, attributes["event.id"].IntValue);
        Assert.Equal("OrderPlaced", attributes["event.name"].StringValue);

        LogRecord plain = resource.ScopeLogs[1].LogRecords[0];
        Assert.True(plain.TraceId.IsEmpty);
        Assert.True(plain.SpanId.IsEmpty);
        Assert.Equal(0u, plain.Flags);
        Assert.Empty(plain.Attributes);
        Assert.Equal(SeverityNumber.Info, plain.SeverityNumber);
    }

    [Fact]
    public void Json_request_follows_the_otlp_json_mapping()
    {
        var encoder = new OtlpLogsEncoder(OtlpResource.Create("svc"));
        using var buffer = new PooledBuffer(64);
        encoder.Encode(Sample(), buffer, OtlpProtocol.HttpJson);
        using JsonDocument json = JsonDocument.Parse(buffer.WrittenMemory);
        JsonElement scope = json.RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0];
        Assert.Equal("Shop.Orders", scope.GetProperty("scope").GetProperty("name").GetString());
        JsonElement record = scope.GetProperty("logRecords")[0];
        Assert.Equal("1700000000000000001", record.GetProperty("timeUnixNano").GetString());
        Assert.Equal("1700000000000000002", record.GetProperty("observedTimeUnixNano").GetString());
        Assert.Equal(13, record.GetProperty("severityNumber").GetInt32());
        Assert.Equal("Warning", record.GetProperty("severityText").GetString());
        Assert.Equal("Order 1234 placed", record.GetProperty("body").GetProperty("stringValue").GetString());
        Assert.Equal("0102030405060708090a0b0c0d0e0f10", record.GetProperty("traceId").GetString());
        Assert.Equal("1112131415161718", record.GetProperty("spanId").GetString());
        Assert.Equal(1, record.GetProperty("flags").GetInt32());
        var attributes = record.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal("1234", attributes["order.id"].GetProperty("intValue").GetString());
        Assert.Equal("42", attributes["event.id"].GetProperty("intValue").GetString());
        Assert.False(scope.GetProperty("logRecords")[1].TryGetProperty("traceId", out _));
    }

    [Fact]
    public void A_full_queue_drops_and_counts_and_a_refused_request_counts_its_records()
    {
        var sender = new Sender { Outcome = ExportOutcome.Success };
        using var exporter = new OtlpLogsExporter(new OtlpLogsExporterOptions { Sender = sender, MaxQueueSize = 4, MaxExportBatchSize = 2, FlushOnProcessExit = false }, startThread: false);
        for (int i = 0; i < 6; i++)
        {
            var record = new OtlpLogRecord { Body = "r" + i };
            exporter.TryEnqueue(record, new[] { new KeyValue("i", i) });
        }
        Assert.Equal(4, exporter.Enqueued);
        Assert.Equal(2, exporter.DroppedQueueFull);
        Assert.Equal(4, exporter.Pending);
        Assert.True(exporter.Flush());
        Assert.Equal(2, sender.Requests); // batches of two
        Assert.Equal(4, exporter.Exported);
        Assert.Equal(0, exporter.Pending);

        sender.Outcome = ExportOutcome.Rejected;
        var failed = new OtlpLogRecord { Body = "refused" };
        Assert.True(exporter.TryEnqueue(failed));
        Assert.False(exporter.Flush());
        Assert.Equal(1, exporter.DroppedRejected);
        Assert.Equal(0, exporter.DroppedFailed);
        Assert.Equal(1, exporter.Failures);
    }

    private static OtlpLogsExporter LoopbackExporter(OtlpHttpSink sink) => new(new OtlpLogsExporterOptions
    {
        Endpoint = new Uri(sink.Endpoint, "/v1/logs"),
        MaxQueueSize = 4,
        MaxExportBatchSize = 2,
        FlushOnProcessExit = false,
        Timeout = TimeSpan.FromSeconds(5),
    }, startThread: false);

    private static void Offer(OtlpLogsExporter exporter, int count)
    {
        for (int i = 0; i < count; i++)
        {
            exporter.TryEnqueue(new OtlpLogRecord { Body = "r" + i, SeverityNumber = 9, Category = "Stats" }, new[] { new KeyValue("i", i) });
        }
    }

    /// <summary>
    /// A real OTLP/HTTP listener on 127.0.0.1 that answers 200, then 400, then 503 (retryable, so the sender retries until
    /// the deadline): the statistics count every record exactly once, by what happened to it, and the requests.
    /// </summary>
    [Fact]
    public void Statistics_count_what_a_loopback_collector_accepted_refused_and_never_took_and_what_the_full_queue_dropped()
    {
        using var sink = new OtlpHttpSink();
        var exporter = LoopbackExporter(sink);
        Assert.Equal("http", exporter.TargetName);

        Offer(exporter, 6); // four fit in the queue
        Assert.Equal(new ExporterStatistics { DroppedQueueFull = 2, Pending = 4 }, exporter.Statistics);
        Assert.True(exporter.Flush());
        Assert.Equal(4, sink.LogRecords);
        Assert.Equal(2, sink.Requests); // batches of two
        Assert.Equal(new ExporterStatistics { Exported = 4, DroppedQueueFull = 2, Exports = 2 }, exporter.Statistics);

        sink.StatusCode = 400; // refused, never retried
        Offer(exporter, 3);
        Assert.False(exporter.Flush());
        Assert.Equal(4 + 3, sink.LogRecords);
        Assert.Equal(new ExporterStatistics { Exported = 4, DroppedQueueFull = 2, DroppedRejected = 3, Exports = 2, Failures = 2 }, exporter.Statistics);

        sink.StatusCode = 503; // retryable: one retry fits in 1.2 s (the first backoff waits 0.5 to 1 s, the next at least 0.75 s)
        Offer(exporter, 1);
        Assert.False(exporter.Flush(TimeSpan.FromMilliseconds(1200)));
        Assert.Equal(2 + 2 + 2, sink.Requests);
        ExporterStatistics expected = new()
        {
            Exported = 4, DroppedQueueFull = 2, DroppedRejected = 3, DroppedFailed = 1, Exports = 2, Failures = 3, Retries = 1,
        };
        Assert.Equal(expected, exporter.Statistics);
        Assert.Equal(6 + 3 + 1, expected.Exported + expected.Dropped + expected.Pending); // every record offered, once

        exporter.Dispose();
        Assert.Equal(expected, exporter.Statistics);
    }

    [Fact]
    public void Log_exporter_counts_are_published_on_the_OtelGen_meter_and_kept_in_the_process_totals_after_it_stops()
    {
        ExporterStatistics before = ExporterMetrics.LogStatistics();
        using var sink = new OtlpHttpSink();
        var exporter = LoopbackExporter(sink);
        Offer(exporter, 6);
        Assert.True(exporter.Flush());
        sink.StatusCode = 400;
        Offer(exporter, 1);
        Assert.False(exporter.Flush());

        var seen = new List<(string Name, long Value, Dictionary<string, object?> Tags)>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ExporterMetrics.MeterName && instrument.Name.StartsWith("otelgen.exporter.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var map = new Dictionary<string, object?>();
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    map[tag.Key] = tag.Value;
                }
                seen.Add((instrument.Name, value, map));
            });
            listener.Start();
            listener.RecordObservableInstruments();
        }

        // Other exporters of the test process may be alive: ours is a measurement with exactly its counts.
        bool Has(string name, long value, string? reason = null, string? signal = null) => seen.Exists(m =>
            m.Name == name && m.Value == value && (string?)m.Tags["otelgen.exporter.target"] == "http" &&
            (reason is null || (string?)m.Tags["reason"] == reason) &&
            (signal is null || (string?)m.Tags["otelgen.exporter.signal"] == signal));
        Assert.True(Has("otelgen.exporter.log_records.exported", 4));
        Assert.True(Has("otelgen.exporter.log_records.dropped", 2, reason: "queue_full"));
        Assert.True(Has("otelgen.exporter.log_records.dropped", 1, reason: "rejected"));
        Assert.True(Has("otelgen.exporter.log_records.queue.size", 0));
        Assert.True(Has("otelgen.exporter.exports", 2, signal: "logs"));
        Assert.True(Has("otelgen.exporter.failures", 1, signal: "logs"));
        Assert.DoesNotContain(seen, m => m.Name.StartsWith("otelgen.exporter.spans.", StringComparison.Ordinal) && m.Tags.ContainsKey("otelgen.exporter.signal"));
        Assert.All(seen.FindAll(m => m.Name == "otelgen.exporter.exports"), m => Assert.Contains((string?)m.Tags["otelgen.exporter.signal"], new[] { "traces", "logs" }));

        exporter.Dispose();
        ExporterStatistics after = ExporterMetrics.LogStatistics();
        Assert.Equal(4, after.Exported - before.Exported);
        Assert.Equal(2, after.DroppedQueueFull - before.DroppedQueueFull);
        Assert.Equal(1, after.DroppedRejected - before.DroppedRejected);
        Assert.Equal(2, after.Exports - before.Exports);
        Assert.Equal(1, after.Failures - before.Failures);
    }

    [Fact]
    public void Dispose_sends_what_waits_and_later_records_are_dropped_and_counted()
    {
        var sender = new Sender { Outcome = ExportOutcome.Success };
        var exporter = new OtlpLogsExporter(new OtlpLogsExporterOptions { Sender = sender, FlushOnProcessExit = false });
        for (int i = 0; i < 100; i++)
        {
            var record = new OtlpLogRecord { Body = "r" + i };
            exporter.TryEnqueue(record);
        }
        exporter.Dispose();
        Assert.Equal(100, exporter.Exported);
        var late = new OtlpLogRecord { Body = "late" };
        Assert.False(exporter.TryEnqueue(late));
        Assert.Equal(1, exporter.DroppedQueueFull);
    }

    [Fact]
    public void Dispose_with_a_collector_that_never_answers_ends_and_counts_what_was_not_sent()
    {
        var sender = new HangingSender();
        var exporter = new OtlpLogsExporter(new OtlpLogsExporterOptions
        {
            Sender = sender, Timeout = TimeSpan.FromMilliseconds(300), MaxExportBatchSize = 2, FlushOnProcessExit = false,
        });
        for (int i = 0; i < 10; i++)
        {
            exporter.TryEnqueue(new OtlpLogRecord { Body = "r" + i });
        }
        exporter.Dispose(); // ends: each attempt gives up at the one shared deadline
        Assert.Equal(0, exporter.Exported);
        Assert.Equal(10, exporter.DroppedFailed);
        Assert.Equal(0, exporter.Pending);
    }

    private static readonly string[] s_variables =
    {
        "OTEL_LOGS_EXPORTER", "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
        "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "OTEL_BLRP_MAX_QUEUE_SIZE", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "OTEL_BLRP_SCHEDULE_DELAY",
    };

    private static T WithEnvironment<T>(Dictionary<string, string> values, Func<T> action) =>
        ExportTestKit.WithEnvironment(s_variables, values, action);

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("otlp", null, true)]
    [InlineData("console,OTLP", null, true)]
    [InlineData("none", null, false)]
    [InlineData("otlp", "true", false)]
    public void OTEL_LOGS_EXPORTER_turns_export_on(string? exporter, string? disabled, bool enabled)
    {
        var values = new Dictionary<string, string>();
        if (exporter is not null)
        {
            values["OTEL_LOGS_EXPORTER"] = exporter;
        }
        if (disabled is not null)
        {
            values["OTEL_SDK_DISABLED"] = disabled;
        }
        Assert.Equal(enabled, WithEnvironment(values, OtlpLogsExporterOptions.EnabledByEnvironment));
    }

    [Fact]
    public void The_logs_variables_configure_the_exporter()
    {
        OtlpLogsExporterOptions generic = WithEnvironment(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"] = "http/json",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "a=1,b=2",
            ["OTEL_EXPORTER_OTLP_LOGS_HEADERS"] = "b=3",
            ["OTEL_EXPORTER_OTLP_LOGS_TIMEOUT"] = "2500",
            ["OTEL_EXPORTER_OTLP_LOGS_COMPRESSION"] = "gzip",
            ["OTEL_BLRP_MAX_QUEUE_SIZE"] = "100",
            ["OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"] = "500",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "250",
        }, OtlpLogsExporterOptions.FromEnvironment);
        Assert.Equal(new Uri("http://collector:4318/v1/logs"), generic.Endpoint);
        Assert.Equal(OtlpProtocol.HttpJson, generic.Protocol);
        Assert.False(generic.UseGrpc);
        Assert.Equal(new[] { "a=1", "b=3" }, generic.Headers.Select(h => h.Key + "=" + h.Value));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), generic.Timeout);
        Assert.True(generic.Gzip);
        Assert.Equal(100, generic.MaxQueueSize);
        Assert.Equal(100, generic.MaxExportBatchSize); // never above the queue
        Assert.Equal(TimeSpan.FromMilliseconds(250), generic.ScheduleDelay);

        OtlpLogsExporterOptions specific = WithEnvironment(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318",
            ["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"] = "http://logs:9999/custom",
        }, OtlpLogsExporterOptions.FromEnvironment);
        Assert.Equal(new Uri("http://logs:9999/custom"), specific.Endpoint);

        OtlpLogsExporterOptions grpc = WithEnvironment(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        }, OtlpLogsExporterOptions.FromEnvironment);
        Assert.True(grpc.UseGrpc);
        Assert.Equal(new Uri("http://collector:4317"), grpc.Endpoint);
    }

    /// <summary>A collector that holds every request until its deadline, then fails it as retryable.</summary>
    private sealed class HangingSender : IOtlpSender
    {
        public OtlpProtocol Protocol => OtlpProtocol.HttpProtobuf;

        public ExportResult Send(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel = default, bool retry = true)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero)
            {
                cancel.WaitHandle.WaitOne(left);
            }
            return new ExportResult(ExportOutcome.RetryableFailure, 1, 503, 0);
        }

        public void Dispose()
        {
        }
    }

    private sealed class Sender : IOtlpSender
    {
        private int _requests;

        public ExportOutcome Outcome { get; set; }

        public int Requests => Volatile.Read(ref _requests);

        public OtlpProtocol Protocol => OtlpProtocol.HttpProtobuf;

        public ExportResult Send(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel = default, bool retry = true)
        {
            ExportLogsServiceRequest.Parser.ParseFrom(body.ToArray()); // every request decodes
            Interlocked.Increment(ref _requests);
            return new ExportResult(Outcome, 1, Outcome == ExportOutcome.Success ? 200 : 400, 0);
        }

        public void Dispose()
        {
        }
    }
}
