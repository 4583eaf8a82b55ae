using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Reflection;
using OtelGen.Configuration;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>
/// The OTLP resource that describes this process: <c>service.name</c> (<c>OTEL_SERVICE_NAME</c>, else
/// <c>service.name</c> in <c>OTEL_RESOURCE_ATTRIBUTES</c>, else <c>unknown_service:&lt;process name&gt;</c>),
/// the other <c>OTEL_RESOURCE_ATTRIBUTES</c>, and <c>telemetry.sdk.*</c>. Immutable; built once.
/// </summary>
internal sealed class OtlpResource
{
    /// <summary>The instrumentation scope name every OtelGen span is reported under.</summary>
    public const string ScopeName = "OtelGen";

    private OtlpResource(KeyValue[] attributes, string serviceName)
    {
        Attributes = attributes;
        ServiceName = serviceName;
    }

    /// <summary>The resource attributes, <c>service.name</c> first.</summary>
    public KeyValue[] Attributes { get; }

    /// <summary>The <c>service.name</c> value.</summary>
    public string ServiceName { get; }

    /// <summary>The OtelGen runtime version, reported as <c>telemetry.sdk.version</c> and the scope version.</summary>
    public static string SdkVersion { get; } = ReadVersion();

    /// <summary>
    /// Builds the resource: <paramref name="serviceName"/> and <paramref name="attributes"/> (programmatic)
    /// override the environment, which overrides the defaults.
    /// </summary>
    public static OtlpResource Create(string? serviceName = null, IEnumerable<KeyValue>? attributes = null)
    {
        var list = new List<KeyValue>();
        foreach (KeyValuePair<string, string> pair in ParseResourceAttributes(EnvironmentSettings.Get("OTEL_RESOURCE_ATTRIBUTES")))
        {
            Set(list, new KeyValue(pair.Key, pair.Value));
        }
        if (attributes is not null)
        {
            foreach (KeyValue attribute in attributes)
            {
                Set(list, attribute);
            }
        }
        string? name = serviceName ?? EnvironmentSettings.Get("OTEL_SERVICE_NAME");
        if (name is null)
        {
            int index = list.FindIndex(kv => kv.Key == "service.name");
            name = index >= 0 ? list[index].Value.ToString() : "unknown_service:" + ProcessName();
        }
        list.RemoveAll(kv => kv.Key == "service.name");
        list.Insert(0, new KeyValue("service.name", name));
        Set(list, new KeyValue("telemetry.sdk.name", "otelgen"));
        Set(list, new KeyValue("telemetry.sdk.language", "dotnet"));
        Set(list, new KeyValue("telemetry.sdk.version", SdkVersion));
        return new OtlpResource(list.ToArray(), name);
    }

    /// <summary>
    /// Parses <c>key1=value1,key2=value2</c> (W3C Baggage-like, values percent-decoded). Malformed
    /// entries are skipped with one warning.
    /// </summary>
    public static List<KeyValuePair<string, string>> ParseResourceAttributes(string? text) => ParseKeyValueList(text, "OTEL_RESOURCE_ATTRIBUTES", hideValues: false);

    /// <summary>Parses a comma-separated <c>key=value</c> list with percent-decoded values.</summary>
    internal static List<KeyValuePair<string, string>> ParseKeyValueList(string? text, string variable, bool hideValues)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }
        foreach (string entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = entry.IndexOf('=');
            if (equals <= 0)
            {
                Diagnostics.Warn($"{variable}: ignoring an entry that is not key=value{(hideValues ? string.Empty : ": '" + entry + "'")}.");
                continue;
            }
            string key = entry.Substring(0, equals).Trim();
            string value;
            try
            {
                value = Uri.UnescapeDataString(entry.Substring(equals + 1).Trim());
            }
            catch (Exception)
            {
                Diagnostics.Warn($"{variable}: ignoring the value of '{key}', which is not valid percent-encoding.");
                continue;
            }
            result.Add(new KeyValuePair<string, string>(key, value));
        }
        return result;
    }

    private static void Set(List<KeyValue> list, KeyValue attribute)
    {
        int index = list.FindIndex(kv => kv.Key == attribute.Key);
        if (index >= 0)
        {
            list[index] = attribute;
        }
        else
        {
            list.Add(attribute);
        }
    }

    private static string ProcessName()
    {
        try
        {
            using Process process = Process.GetCurrentProcess();
            return process.ProcessName;
        }
        catch (Exception)
        {
            return "dotnet";
        }
    }

    private static string ReadVersion()
    {
        Assembly assembly = typeof(OtlpResource).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            version = assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }
        int plus = version.IndexOf('+');
        return plus > 0 ? version.Substring(0, plus) : version;
    }
}
