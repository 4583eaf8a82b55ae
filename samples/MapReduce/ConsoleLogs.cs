using Microsoft.Extensions.Logging;
using OtelGen.Logging;

namespace OtelGen.Samples.MapReduce;

/// <summary>The job's and the agents' console logs: one line per entry, with the current span's ids as a scope.</summary>
public static class ConsoleLogs
{
    /// <summary>A console logger factory whose scopes show the current span's SpanId, TraceId and ParentId (OtelGen.Logging).</summary>
    public static ILoggerFactory Create() => LoggerFactory.Create(logging => logging
        .AddOtelGen()
        .AddSimpleConsole(options =>
        {
            options.IncludeScopes = true;
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        })
        .SetMinimumLevel(LogLevel.Information));
}
