using System;

namespace OtelGen.Configuration;

/// <summary>Where the runtime reports its own problems: stderr, once per distinct message, never throwing.</summary>
internal static class Diagnostics
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> s_said = new();

    /// <summary>Writes <c>[otelgen] warning: {message}</c> to stderr the first time this message is seen.</summary>
    public static void Warn(string message)
    {
        try
        {
            if (s_said.TryAdd(message, true))
            {
                Console.Error.WriteLine("[otelgen] warning: " + message);
            }
        }
        catch
        {
            // Telemetry never throws into the application.
        }
    }
}
