using System;
using System.Collections.Generic;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>
/// The OTLP settings every signal reads the same way: <c>OTEL_EXPORTER_OTLP_{SIGNAL}_*</c> first, then the
/// generic <c>OTEL_EXPORTER_OTLP_*</c>, for protocol, headers, compression and timeout. One place, so the
/// traces and metrics exporters cannot drift apart.
/// </summary>
internal static class OtlpSignalSettings
{
    /// <summary>
    /// <c>OTEL_EXPORTER_OTLP_{SIGNAL}_ENDPOINT</c> used as is, else <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with
    /// <paramref name="signalPath"/> (e.g. <c>v1/traces</c>; null for OTLP/gRPC: as is) appended; null when neither is set or valid.
    /// </summary>
    public static Uri? Endpoint(string signal, string? signalPath)
    {
        string variable = "OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT";
        string? specific = EnvironmentSettings.Get(variable);
        if (specific is not null)
        {
            return OtlpExporterOptions.ParseEndpoint(variable, specific, null);
        }
        string? generic = EnvironmentSettings.Get("OTEL_EXPORTER_OTLP_ENDPOINT");
        return generic is null ? null : OtlpExporterOptions.ParseEndpoint("OTEL_EXPORTER_OTLP_ENDPOINT", generic, signalPath);
    }

    /// <summary>
    /// <c>http/protobuf</c>, <c>http/json</c> or <c>grpc</c> (<paramref name="grpc"/> true, bodies protobuf); anything
    /// else warns once and keeps <paramref name="fallback"/>.
    /// </summary>
    public static OtlpProtocol Protocol(string signal, OtlpProtocol fallback, out bool grpc)
    {
        grpc = false;
        string name = Specific(signal, "PROTOCOL");
        string? protocol = EnvironmentSettings.Get(name);
        if (protocol is null)
        {
            return fallback;
        }
        switch (protocol.ToLowerInvariant())
        {
            case "http/protobuf":
                return OtlpProtocol.HttpProtobuf;
            case "http/json":
                return OtlpProtocol.HttpJson;
            case "grpc":
                grpc = true;
                return OtlpProtocol.HttpProtobuf;
            default:
                EnvironmentSettings.Warn(name, protocol, "grpc, http/protobuf or http/json", "http/protobuf");
                return fallback;
        }
    }

    /// <summary>Adds the generic headers, then the signal's own (which win for the same name). Values are never logged.</summary>
    public static void Headers(string signal, IList<KeyValuePair<string, string>> headers)
    {
        foreach (string variable in new[] { "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_" + signal + "_HEADERS" })
        {
            foreach (KeyValuePair<string, string> header in OtlpResource.ParseKeyValueList(EnvironmentSettings.Get(variable), variable, hideValues: true))
            {
                SetHeader(headers, header);
            }
        }
    }

    /// <summary>True for <c>gzip</c>; <c>none</c> or unset is false; anything else warns once and is false.</summary>
    public static bool Gzip(string signal)
    {
        string name = Specific(signal, "COMPRESSION");
        string? compression = EnvironmentSettings.Get(name);
        if (compression is null || compression.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (compression.Equals("gzip", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        EnvironmentSettings.Warn(name, compression, "gzip or none", "none");
        return false;
    }

    /// <summary>The export timeout in milliseconds.</summary>
    public static TimeSpan Timeout(string signal, TimeSpan fallback) =>
        TimeSpan.FromMilliseconds(EnvironmentSettings.GetNonNegativeDouble(Specific(signal, "TIMEOUT"), fallback.TotalMilliseconds));

    /// <summary>Sets a header, replacing one of the same name (case-insensitive).</summary>
    public static void SetHeader(IList<KeyValuePair<string, string>> headers, KeyValuePair<string, string> header)
    {
        for (int i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Key, header.Key, StringComparison.OrdinalIgnoreCase))
            {
                headers[i] = header;
                return;
            }
        }
        headers.Add(header);
    }

    // The signal's own variable when it is set, else the generic one.
    private static string Specific(string signal, string setting)
    {
        string specific = "OTEL_EXPORTER_OTLP_" + signal + "_" + setting;
        return EnvironmentSettings.Get(specific) is null ? "OTEL_EXPORTER_OTLP_" + setting : specific;
    }
}
