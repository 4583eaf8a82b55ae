using System;
using System.Threading;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>Where an exporter sends encoded OTLP requests: an OTLP/HTTP or OTLP/gRPC collector, or a file.</summary>
internal interface IOtlpSender : IDisposable
{
    /// <summary>The body encoding this sender expects.</summary>
    OtlpProtocol Protocol { get; }

    /// <summary>Requests retried so far (0 for a sender that never retries).</summary>
    long Retries => 0;

    /// <summary>
    /// Delivers one encoded request by <paramref name="deadline"/> (UTC); <paramref name="retry"/> false
    /// means a single attempt. Never throws.
    /// </summary>
    ExportResult Send(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel = default, bool retry = true);
}
