using System;
using System.Threading;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Logging;

namespace OtelGen.Benchmarks;

/// <summary>
/// One structured log call (<c>LoggerMessage.Define</c>, two values) through a logger factory whose only provider
/// exports over OTLP/HTTP protobuf: OtelGen's (<c>AddOtelGen(o => o.ExportLogs = true)</c>) beside OpenTelemetry .NET's
/// logging provider with its OTLP exporter (the package this project references, batch processor, formatted message
/// and scopes on, as OtelGen sends them). Both point at an unreachable loopback port (127.0.0.1:9), so nothing is sent:
/// the cost measured is the logging thread's (the record made and queued; once a bounded queue is full, made and
/// dropped, on both sides).
/// The "accepting" rows measure the path where the queue has room: OtelGen's provider with an exporter whose sender
/// discards each encoded request (records still encoded to OTLP protobuf on its thread), OpenTelemetry's logging
/// provider with its batch processor in front of an exporter that discards each batch (no serialization on its side).
/// Run: dotnet run -c Release --project tests/Benchmarks -- --filter '*LogExport*' --job short
/// </summary>
[MemoryDiagnoser]
public class LogExportBenchmarks
{
    private const string Unreachable = "http://127.0.0.1:9";

    private static readonly Action<ILogger, int, string, Exception?> OrderPlaced =
        LoggerMessage.Define<int, string>(LogLevel.Information, new EventId(7, "OrderPlaced"), "Order {OrderId} placed by {Customer}");

    private ILoggerFactory _otelGen = null!;
    private ILoggerFactory _openTelemetry = null!;
    private ILogger _otelGenLogger = null!;
    private ILogger _openTelemetryLogger = null!;

    public void Setup()
    {
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", Unreachable + "/v1/logs");
        _otelGen = LoggerFactory.Create(logging => logging.AddOtelGen(o => o.ExportLogs = true));
        _otelGenLogger = _otelGen.CreateLogger("Shop.Orders");
        _openTelemetry = LoggerFactory.Create(logging => logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
            o.AddOtlpExporter(e =>
            {
                e.Endpoint = new Uri(Unreachable + "/v1/logs");
                e.Protocol = OtlpExportProtocol.HttpProtobuf;
            });
        }));
        _openTelemetryLogger = _openTelemetry.CreateLogger("Shop.Orders");
    }

    private ILoggerFactory _otelGenAccepting = null!;
    private ILoggerFactory _openTelemetryAccepting = null!;
    private ILogger _otelGenAcceptingLogger = null!;
    private ILogger _openTelemetryAcceptingLogger = null!;

    [GlobalSetup(Targets = new[] { nameof(OpenTelemetryAccepting), nameof(OtelGenAccepting) })]
    public void SetupAccepting()
    {
        var exporter = new OtlpLogsExporter(new OtlpLogsExporterOptions { Sender = new DiscardingSender(), FlushOnProcessExit = false });
        _otelGenAccepting = LoggerFactory.Create(logging =>
        {
            logging.AddOtelGen();
            logging.Services.AddSingleton<ILoggerProvider>(_ => new OtelGenLoggerProvider(exporter, ownsExporter: true));
        });
        _otelGenAcceptingLogger = _otelGenAccepting.CreateLogger("Shop.Orders");
        _openTelemetryAccepting = LoggerFactory.Create(logging => logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
            o.AddProcessor(new BatchLogRecordExportProcessor(new DiscardingExporter()));
        }));
        _openTelemetryAcceptingLogger = _openTelemetryAccepting.CreateLogger("Shop.Orders");
        Provider = exporter;
    }

    private OtlpLogsExporter? Provider { get; set; }

    [GlobalSetup(Targets = new[] { nameof(OpenTelemetry), nameof(OtelGen) })]
    public void SetupUnreachable() => Setup();

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Provider is { } exporter)
        {
            Console.WriteLine($"// OtelGen accepting: enqueued {exporter.Enqueued}, dropped (queue full) {exporter.DroppedQueueFull}");
        }
        _otelGen?.Dispose();
        _openTelemetry?.Dispose();
        _otelGenAccepting?.Dispose();
        _openTelemetryAccepting?.Dispose();
    }

    [Benchmark(Description = "OpenTelemetry .NET, queue accepting (discarding exporter)")]
    public void OpenTelemetryAccepting() => OrderPlaced(_openTelemetryAcceptingLogger, 1234, "ada", null);

    [Benchmark(Description = "OtelGen, queue accepting (OTLP encoded, discarding sender)")]
    public void OtelGenAccepting() => OrderPlaced(_otelGenAcceptingLogger, 1234, "ada", null);

    private sealed class DiscardingSender : IOtlpSender
    {
        public OtlpProtocol Protocol => OtlpProtocol.HttpProtobuf;

        public OtelGen.Export.ExportResult Send(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel = default, bool retry = true) =>
            new(ExportOutcome.Success, 1, 200, 0);

        public void Dispose()
        {
        }
    }

    private sealed class DiscardingExporter : BaseExporter<LogRecord>
    {
        public override global::OpenTelemetry.ExportResult Export(in Batch<LogRecord> batch) => global::OpenTelemetry.ExportResult.Success;
    }

    [Benchmark(Baseline = true, Description = "OpenTelemetry .NET logging provider + OTLP exporter")]
    public void OpenTelemetry() => OrderPlaced(_openTelemetryLogger, 1234, "ada", null);

    [Benchmark(Description = "OtelGen logging provider (OTLP)")]
    public void OtelGen() => OrderPlaced(_otelGenLogger, 1234, "ada", null);
}
