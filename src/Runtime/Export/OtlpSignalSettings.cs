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
    /// <paramref name="generic"/> is the generic variable's text when that one was used (the endpoint then depends on the protocol).
    /// For OTLP/gRPC (<paramref name="grpc"/>) an endpoint without a scheme (<c>collector:4317</c>) is accepted, as the
    /// specification asks: it is <c>https://</c>, or <c>http://</c> when <c>OTEL_EXPORTER_OTLP_[SIGNAL_]INSECURE</c> is true.
    /// </summary>
    public static Uri? Endpoint(string signal, string? signalPath, bool grpc, out string? generic)
    {
        generic = null;
        string variable = "OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT";
        string? specific = EnvironmentSettings.Get(variable);
        if (specific is not null)
        {
            return ParseEndpoint(variable, specific, null, grpc, Insecure(signal));
        }
        generic = EnvironmentSettings.Get("OTEL_EXPORTER_OTLP_ENDPOINT");
        return generic is null ? null : ParseEndpoint("OTEL_EXPORTER_OTLP_ENDPOINT", generic, grpc ? null : signalPath, grpc, Insecure(signal));
    }

    /// <summary>
    /// Parses an endpoint value: for OTLP/gRPC a value without <c>://</c> gets <c>https://</c> (or <c>http://</c> when
    /// <paramref name="insecure"/>) in front; <paramref name="signalPath"/> is appended when not null. Null with one
    /// warning when it is not an absolute http or https URL.
    /// </summary>
    public static Uri? ParseEndpoint(string variable, string value, string? signalPath, bool grpc, bool insecure)
    {
        if (grpc && !value.Contains("://", StringComparison.Ordinal))
        {
            return OtlpExporterOptions.ParseEndpoint(variable, (insecure ? "http://" : "https://") + value.Trim(), signalPath, shown: value);
        }
        return OtlpExporterOptions.ParseEndpoint(variable, value, signalPath);
    }

    /// <summary>
    /// <c>OTEL_EXPORTER_OTLP_[SIGNAL_]INSECURE</c> (default false): whether an OTLP/gRPC endpoint given without a scheme
    /// is cleartext. The specification gives it no other meaning: a scheme decides for itself, and OTLP/HTTP always
    /// follows its URL's scheme.
    /// </summary>
    public static bool Insecure(string signal) => EnvironmentSettings.GetBool(Specific(signal, "INSECURE"), false);

    /// <summary>
    /// <c>OTEL_EXPORTER_OTLP_[SIGNAL_]{setting}</c>: the signal's own variable when set, else the generic one; null when
    /// neither is set (the file paths of <c>CERTIFICATE</c>, <c>CLIENT_CERTIFICATE</c>, <c>CLIENT_KEY</c>).
    /// </summary>
    public static string? Setting(string signal, string setting) => EnvironmentSettings.Get(Specific(signal, setting));

    /// <summary>
    /// <c>http/protobuf</c>, <c>http/json</c> or <c>grpc</c>; anything else warns once and keeps <paramref name="fallback"/>.
    /// </summary>
    public static OtlpProtocol Protocol(string signal, OtlpProtocol fallback)
    {
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
                return OtlpProtocol.Grpc;
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
