using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace OtelGen.Samples.Tests;

/// <summary>Starts a sample (Workflow.dll, MapReduce.dll next to the tests) as a child process, as a user would with `dotnet X.dll`.</summary>
internal static class SampleProcess
{
    private static readonly string[] s_inherited = { "TRACEPARENT", "TRACESTATE", "BAGGAGE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME" };

    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static ProcessStartInfo StartInfo(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        ProcessStartInfo info = ExecutableStartInfo(Dotnet, args, environment);
        info.ArgumentList.Insert(0, Path.Combine(AppContext.BaseDirectory, dll));
        return info;
    }

    /// <summary>Like <see cref="StartInfo"/>, for a program that runs itself (a native executable).</summary>
    public static ProcessStartInfo ExecutableStartInfo(string executable, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // Only what the test passes reaches the child: no context or exporter settings leak from the test host.
        foreach (string name in s_inherited)
        {
            info.Environment.Remove(name);
        }
        if (environment is not null)
        {
            foreach (KeyValuePair<string, string> kv in environment)
            {
                info.Environment[kv.Key] = kv.Value;
            }
        }
        return info;
    }

    /// <summary>Starts the process and collects its output lines.</summary>
    public static (Process Process, StringBuilder Output) Start(ProcessStartInfo info)
    {
        var output = new StringBuilder();
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine("[stderr] " + e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }
}
