using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OtelGen.Context;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using Xunit;

namespace OtelGen.Logging.Tests;

/// <summary>
/// OTLP log export end to end: a real LoggerFactory with OtelGen's provider, logging inside an OtelGen span, to a
/// loopback collector that decodes with the official OTLP protos. Each test ends by disposing the factory, which
/// sends what waits (no timed assertion).
/// </summary>
public sealed class OtlpLogExportTests
{
    private static readonly Action<ILogger, int, string, Exception?> OrderPlaced =
        LoggerMessage.Define<int, string>(LogLevel.Warning, new EventId(42, "OrderPlaced"), "Order {OrderId} placed by {Customer}");

    private static OtlpLogsExporter Exporter(LogsCollector collector, string protocol, int maxQueue = 2048, bool startThread = true)
    {
        var options = new OtlpLogsExporterOptions
        {
            Protocol = protocol == "json" ? OtlpProtocol.HttpJson : OtlpProtocol.HttpProtobuf,
            UseGrpc = protocol == "grpc",
            Endpoint = protocol == "grpc" ? collector.GrpcEndpoint : new Uri(collector.HttpEndpoint, "/v1/logs"),
            FlushOnProcessExit = false,
            MaxQueueSize = maxQueue,
            ServiceName = "logs-test",
        };
        return new OtlpLogsExporter(options, startThread);
    }

    private static ILoggerFactory Factory(OtlpLogsExporter exporter) =>
        LoggerFactory.Create(logging =>
        {
            logging.AddOtelGen();
            logging.SetMinimumLevel(LogLevel.Trace);
            // Made by the container (as AddOtelGen registers it), so disposing the factory's container disposes it.
            logging.Services.AddSingleton<ILoggerProvider>(_ => new OtelGenLoggerProvider(exporter, ownsExporter: true));
        });

    private static SpanContext LogEverything(ILoggerFactory factory)
    {
        ILogger logger = factory.CreateLogger("Shop.Orders");
        using var span = Tracing.StartSpan("checkout");
        SpanContext context = Tracing.CurrentContext;
        using (logger.BeginScope(new Dictionary<string, object?> { ["tenant"] = "acme", ["region.id"] = 7 }))
        using (logger.BeginScope("plain scope"))
        {
            OrderPlaced(logger, 1234, "ada", null);
        }
        try
        {
            throw new InvalidOperationException("out of stock");
        }
        catch (InvalidOperationException e)
        {
            logger.LogError(e, "Payment {Amount} failed", 12.5);
        }
        return context;
    }

    private static string Hex(Google.Protobuf.ByteString bytes) => Convert.ToHexString(bytes.ToByteArray()).ToLowerInvariant();

    private static object? Value(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        _ => value.ToString(),
    };

    private static Dictionary<string, object?> Attributes(LogRecord record) => record.Attributes.ToDictionary(a => a.Key, a => Value(a.Value));

    private static void AssertRecords(List<(string Scope, LogRecord Record)> records, SpanContext context)
    {
        Assert.Equal(2, records.Count);
        (string scope, LogRecord order) = records[0];
        Assert.Equal("Shop.Orders", scope);
        Assert.Equal(context.TraceId.ToHexString(), Hex(order.TraceId));
        Assert.Equal(context.SpanId.ToHexString(), Hex(order.SpanId));
        Assert.Equal((uint)context.TraceFlags, order.Flags);
        Assert.Equal(SeverityNumber.Warn, order.SeverityNumber);
        Assert.Equal("Warning", order.SeverityText);
        Assert.Equal("Order 1234 placed by ada", order.Body.StringValue);
        Assert.NotEqual(0UL, order.TimeUnixNano);
        Assert.NotEqual(0UL, order.ObservedTimeUnixNano);
        Dictionary<string, object?> attributes = Attributes(order);
        Assert.Equal(1234L, attributes["OrderId"]);
        Assert.Equal("ada", attributes["Customer"]);
        Assert.False(attributes.ContainsKey("{OriginalFormat}"));
        Assert.Equal("acme", attributes["tenant"]);
        Assert.Equal(7L, attributes["region.id"]);
        Assert.Equal("plain scope", attributes["scope"]);
        Assert.Equal(42L, attributes["event.id"]);
        Assert.Equal("OrderPlaced", attributes["event.name"]);
        Assert.False(attributes.ContainsKey("SpanId")); // the correlation scope is the record's own ids, not attributes

        LogRecord error = records[1].Record;
        Assert.Equal(SeverityNumber.Error, error.SeverityNumber);
        Assert.Equal("Payment 12.5 failed", error.Body.StringValue);
        Dictionary<string, object?> errorAttributes = Attributes(error);
        Assert.Equal(12.5, errorAttributes["Amount"]);
        Assert.Equal("System.InvalidOperationException", errorAttributes["exception.type"]);
        Assert.Equal("out of stock", errorAttributes["exception.message"]);
        Assert.Contains("LogEverything", (string)errorAttributes["exception.stacktrace"]!);
        Assert.Equal(context.SpanId.ToHexString(), Hex(error.SpanId));
    }

    [Fact]
    public void Protobuf_records_carry_the_span_severity_body_template_values_scopes_exception_event_and_category()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "protobuf");
        SpanContext context;
        using (ILoggerFactory factory = Factory(exporter))
        {
            context = LogEverything(factory);
        }
        AssertRecords(collector.Records, context);
        Assert.Equal(2, exporter.Exported);
        Assert.Equal("logs-test", collector.Requests[0].ResourceLogs[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
    }

    [Fact]
    public void Grpc_records_arrive_at_the_logs_service()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "grpc");
        SpanContext context;
        using (ILoggerFactory factory = Factory(exporter))
        {
            context = LogEverything(factory);
        }
        AssertRecords(collector.Records, context);
    }

    [Fact]
    public void Json_records_follow_the_otlp_json_mapping()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "json");
        SpanContext context;
        using (ILoggerFactory factory = Factory(exporter))
        {
            context = LogEverything(factory);
        }
        JsonElement scopeLogs = Assert.Single(collector.JsonRequests).RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0];
        Assert.Equal("Shop.Orders", scopeLogs.GetProperty("scope").GetProperty("name").GetString());
        JsonElement order = scopeLogs.GetProperty("logRecords")[0];
        Assert.Equal(context.TraceId.ToHexString(), order.GetProperty("traceId").GetString());
        Assert.Equal(context.SpanId.ToHexString(), order.GetProperty("spanId").GetString());
        Assert.Equal(13, order.GetProperty("severityNumber").GetInt32());
        Assert.Equal("Order 1234 placed by ada", order.GetProperty("body").GetProperty("stringValue").GetString());
        var attributes = order.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal("1234", attributes["OrderId"].GetProperty("intValue").GetString());
        Assert.Equal("ada", attributes["Customer"].GetProperty("stringValue").GetString());
        Assert.Equal("42", attributes["event.id"].GetProperty("intValue").GetString());
        Assert.Equal(2, scopeLogs.GetProperty("logRecords").GetArrayLength());
    }

    [Fact]
    public void A_full_queue_drops_and_counts_without_blocking_then_the_rest_arrive()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "protobuf", maxQueue: 3, startThread: false);
        using (ILoggerFactory factory = Factory(exporter))
        {
            ILogger logger = factory.CreateLogger("Q");
            for (int i = 0; i < 10; i++)
            {
                logger.LogInformation("line {Index}", i);
            }
            Assert.Equal(3, exporter.Enqueued);
            Assert.Equal(7, exporter.DroppedQueueFull);
        }
        Assert.Equal(new[] { "line 0", "line 1", "line 2" }, collector.Records.Select(r => r.Record.Body.StringValue));
        Assert.Equal(3, exporter.Exported);
    }

    [Fact]
    public void Bad_input_never_throws_into_the_app_and_still_exports()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "protobuf");
        using (ILoggerFactory factory = Factory(exporter))
        {
            ILogger logger = factory.CreateLogger("Bad");
            logger.LogInformation(new string('x', 5_000_000));
            // A template with too few values (as data: the analyzers refuse it as a constant).
            string[] templates = { "{A} {B} {C}" };
            logger.LogInformation(templates[0], 1);
            // Broken braces: Microsoft.Extensions.Logging's own LogInformation throws on those before any provider is
            // asked, so a structured state that carries such a template and whose formatter throws stands in for it.
            logger.Log(LogLevel.Information, default, new BrokenTemplate(), null, static (_, _) => throw new FormatException("braces"));
            using (logger.BeginScope(new ThrowingScope()))
            using (logger.BeginScope(new ThrowingPairs()))
            {
                logger.LogInformation("in a bad scope {Value}", new ThrowingValue());
            }
            logger.LogError(new ThrowingException(), "bad exception");
        }
        List<(string Scope, LogRecord Record)> records = collector.Records;
        Assert.Equal(OtelGenLogger.MaxStringLength, records[0].Record.Body.StringValue.Length);
        Assert.Equal(5, records.Count);
        Assert.Equal("{A} {B} {C}", records[1].Record.Body.StringValue); // the formatter throws on too few values: the template
        Assert.Equal(1L, Attributes(records[1].Record)["A"]);
        LogRecord broken = records[2].Record;
        Assert.Equal("Order {OrderId placed {", broken.Body.StringValue); // the template itself when it cannot be formatted
        Assert.Equal(5L, Attributes(broken)["OrderId"]);
        LogRecord scoped = records[3].Record;
        Assert.StartsWith("in a bad scope", scoped.Body.StringValue, StringComparison.Ordinal);
        Assert.False(Attributes(scoped).ContainsKey("Value")); // a value whose text throws is left out
        Assert.Equal("bad exception", records[4].Record.Body.StringValue);
        Assert.Equal(typeof(ThrowingException).FullName, Attributes(records[4].Record)["exception.type"]);
        Assert.Equal(0, exporter.DroppedFailed);
    }

    [Fact]
    public void Records_written_just_before_disposing_the_factory_arrive()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "protobuf");
        using (ILoggerFactory factory = Factory(exporter))
        {
            ILogger logger = factory.CreateLogger("Exit");
            for (int i = 0; i < 1000; i++)
            {
                logger.LogInformation("line {Index}", i);
            }
        }
        Assert.Equal(1000, collector.Records.Count);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => "line " + i), collector.Records.Select(r => r.Record.Body.StringValue));
    }

    [Fact]
    public void AddOtelGen_registers_the_exporting_provider_only_when_asked()
    {
        var without = new ServiceCollection();
        without.AddLogging(logging => logging.AddOtelGen());
        Assert.DoesNotContain(without, d => d.ServiceType == typeof(ILoggerProvider));

        var with = new ServiceCollection();
        with.AddLogging(logging => logging.AddOtelGen(o => o.ExportLogs = true).AddOtelGen(o => o.ExportLogs = true));
        Assert.Single(with, d => d.ServiceType == typeof(ILoggerProvider));
    }

    [Fact]
    public void OTEL_LOGS_EXPORTER_otlp_registers_the_provider_from_the_logging_builder_and_from_AspNetCore()
    {
        string? saved = Environment.GetEnvironmentVariable("OTEL_LOGS_EXPORTER");
        try
        {
            Environment.SetEnvironmentVariable("OTEL_LOGS_EXPORTER", "otlp");
            var logging = new ServiceCollection();
            logging.AddLogging(builder => builder.AddOtelGen());
            Assert.Single(logging, d => d.ServiceType == typeof(ILoggerProvider));

            var web = new ServiceCollection();
            OtelGen.AspNetCore.OtelGenServiceCollectionExtensions.AddOtelGen(web);
            // The OTLP provider once, next to the dashboard's in-memory log lines (a provider AddOtelGen always adds).
            Assert.Single(web, d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationFactory?.Method.ReturnType == typeof(OtelGenLoggerProvider));
            Assert.Equal(2, web.Count(d => d.ServiceType == typeof(ILoggerProvider)));

            var off = new ServiceCollection();
            off.AddLogging(builder => builder.AddOtelGen(o => o.ExportLogs = false));
            Assert.DoesNotContain(off, d => d.ServiceType == typeof(ILoggerProvider));
        }
        finally
        {
            Environment.SetEnvironmentVariable("OTEL_LOGS_EXPORTER", saved);
        }
    }

    /// <summary>
    /// The public statistics, through the provider AddOtelGen registers (settings from the environment), against a real
    /// loopback listener: what was accepted, what waits, what was refused, summed over this process's providers with the
    /// disposed ones' final counts kept. Tests in this assembly run one at a time, so the differences are this test's.
    /// </summary>
    [Fact]
    public void OtelGenLogExport_Statistics_counts_the_records_of_AddOtelGen_providers_exactly()
    {
        string[] names = { "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_BLRP_SCHEDULE_DELAY", "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT" };
        string?[] saved = names.Select(Environment.GetEnvironmentVariable).ToArray();
        using var sink = new OtelGen.Tests.Shared.OtlpHttpSink();
        try
        {
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", new Uri(sink.Endpoint, "/v1/logs").ToString());
            Environment.SetEnvironmentVariable("OTEL_BLRP_SCHEDULE_DELAY", "600000"); // fewer than a batch wait until disposed
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "5000");
            ExporterStatistics start = OtelGenLogExport.Statistics;

            ServiceProvider accepted = new ServiceCollection().AddLogging(l => l.AddOtelGen(o => o.ExportLogs = true)).BuildServiceProvider();
            ILogger logger = accepted.GetRequiredService<ILoggerFactory>().CreateLogger("Stats");
            for (int i = 0; i < 5; i++)
            {
                OrderPlaced(logger, i, "ada", null);
            }
            ExporterStatistics waiting = OtelGenLogExport.Statistics;
            Assert.Equal(5, waiting.Pending - start.Pending);
            Assert.Equal(0, waiting.Exported - start.Exported);
            accepted.Dispose(); // sends what waits, in one request
            ExporterStatistics sent = OtelGenLogExport.Statistics;
            Assert.Equal(5, sink.LogRecords);
            Assert.Equal(5, sent.Exported - start.Exported);
            Assert.Equal(1, sent.Exports - start.Exports);
            Assert.Equal(start.Pending, sent.Pending);

            sink.StatusCode = 400;
            ServiceProvider refused = new ServiceCollection().AddLogging(l => l.AddOtelGen(o => o.ExportLogs = true)).BuildServiceProvider();
            logger = refused.GetRequiredService<ILoggerFactory>().CreateLogger("Stats");
            for (int i = 0; i < 3; i++)
            {
                OrderPlaced(logger, i, "ada", null);
            }
            refused.Dispose();
            ExporterStatistics end = OtelGenLogExport.Statistics;
            Assert.Equal(5, end.Exported - start.Exported);
            Assert.Equal(3, end.DroppedRejected - start.DroppedRejected);
            Assert.Equal(1, end.Failures - start.Failures);
            Assert.Equal(0, end.DroppedQueueFull - start.DroppedQueueFull);
            Assert.Equal(0, end.DroppedFailed - start.DroppedFailed);
            Assert.Equal(8, end.Exported + end.Dropped - start.Exported - start.Dropped);
        }
        finally
        {
            for (int i = 0; i < names.Length; i++)
            {
                Environment.SetEnvironmentVariable(names[i], saved[i]);
            }
        }
    }

    /// <summary>
    /// A message whose values are numbers and strings is formatted on the export thread (it cannot change); one with any
    /// other value is formatted at the call, so that a value changed afterwards does not change the body.
    /// </summary>
    [Fact]
    public void Bodies_are_the_text_at_the_call_whether_formatted_there_or_on_the_export_thread()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "protobuf", startThread: false);
        var mutable = new System.Text.StringBuilder("before");
        using (ILoggerFactory factory = Factory(exporter))
        {
            ILogger logger = factory.CreateLogger("Bodies");
            OrderPlaced(logger, 7, "ada", null);
            logger.LogInformation("value {Value} at {Amount}", mutable, 2.5m);
            mutable.Append(" after");
            logger.LogInformation("count {Count}, ratio {Ratio}, ok {Ok}, none {None}", 3L, 0.25, true, null);
            // Queued, not yet sent: which bodies were left to the export thread.
            Assert.Null(exporter.RecordAt(0).Body);
            Assert.NotNull(exporter.RecordAt(0).BodyRenderer);
            Assert.Equal("value before at 2.5", exporter.RecordAt(1).Body);
            Assert.Null(exporter.RecordAt(1).BodyRenderer);
            Assert.Null(exporter.RecordAt(2).Body);
        }
        Assert.Equal(
            new[] { "Order 7 placed by ada", "value before at 2.5", "count 3, ratio 0.25, ok True, none (null)" },
            collector.Records.Select(r => r.Record.Body.StringValue));
    }

    [Fact]
    public void Outside_a_span_a_record_has_no_trace_context()
    {
        using var collector = new LogsCollector();
        OtlpLogsExporter exporter = Exporter(collector, "protobuf");
        using (ILoggerFactory factory = Factory(exporter))
        {
            factory.CreateLogger("NoSpan").LogDebug("no span");
        }
        LogRecord record = Assert.Single(collector.Records).Record;
        Assert.True(record.TraceId.IsEmpty);
        Assert.True(record.SpanId.IsEmpty);
        Assert.Equal(SeverityNumber.Debug, record.SeverityNumber);
    }

    private sealed class BrokenTemplate : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 2;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("OrderId", 5),
            1 => new("{OriginalFormat}", "Order {OrderId placed {"),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
            yield return this[1];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ThrowingScope
    {
        public override string ToString() => throw new InvalidOperationException("scope text");
    }

    private sealed class ThrowingPairs : IEnumerable<KeyValuePair<string, object?>>
    {
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => throw new InvalidOperationException("pairs");

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ThrowingValue
    {
        public override string ToString() => throw new InvalidOperationException("value text");
    }

    private sealed class ThrowingException : Exception
    {
        public override string Message => throw new InvalidOperationException("message");

        public override string ToString() => throw new InvalidOperationException("text");
    }
}
