using System;
using System.IO;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>
/// Writes OTLP/JSON lines for offline use: one <c>ExportTraceServiceRequest</c> per line, appended to a
/// file (the format of the OpenTelemetry Collector's file exporter and <c>otlpjsonfile</c> receiver).
/// </summary>
internal sealed class OtlpFileSender : IOtlpSender
{
    private static readonly byte[] s_newline = { (byte)'\n' };
    private readonly object _gate = new();
    private FileStream? _stream;
    private bool _warned;

    /// <summary>Appends to <paramref name="path"/> (created with its directory when missing).</summary>
    public OtlpFileSender(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public OtlpProtocol Protocol => OtlpProtocol.HttpJson;

    /// <inheritdoc/>
    public ExportResult Send(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel = default, bool retry = true)
    {
        lock (_gate)
        {
            try
            {
                if (_stream is null)
                {
                    string? directory = System.IO.Path.GetDirectoryName(Path);
                    if (!string.IsNullOrEmpty(directory))
                    {
                        Directory.CreateDirectory(directory);
                    }
                    _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
                }
                _stream.Write(body.Span);
                _stream.Write(s_newline);
                _stream.Flush();
                _warned = false;
                return new ExportResult(ExportOutcome.Success, 1, 0, 0);
            }
            catch (Exception e)
            {
                if (!_warned)
                {
                    _warned = true;
                    Diagnostics.Warn($"cannot write OTLP/JSON lines to '{Path}': {e.Message}");
                }
                _stream?.Dispose();
                _stream = null;
                return new ExportResult(ExportOutcome.RetryableFailure, 1, 0, 0);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }
}
