using System;
using OtelGen.Configuration;

namespace OtelGen.Context;

/// <summary>
/// Which context formats cross process boundaries, from <c>OTEL_PROPAGATORS</c> (comma-separated;
/// default <c>tracecontext,baggage</c>; <c>none</c> turns propagation off). Formats this runtime does not
/// implement (b3, jaeger, xray, ottrace) are ignored with one warning.
/// </summary>
public static class Propagators
{
    static Propagators()
    {
        string? value = EnvironmentSettings.Get("OTEL_PROPAGATORS");
        if (value is null)
        {
            return;
        }
        bool traceContext = false, baggage = false;
        foreach (string raw in value.Split(','))
        {
            string name = raw.Trim().ToLowerInvariant();
            switch (name)
            {
                case "tracecontext":
                    traceContext = true;
                    break;
                case "baggage":
                    baggage = true;
                    break;
                case "none":
                case "":
                    break;
                default:
                    Diagnostics.Warn($"OTEL_PROPAGATORS names '{name}', which OtelGen does not implement (it speaks tracecontext and baggage); ignored.");
                    break;
            }
        }
        TraceContext = traceContext;
        Baggage = baggage;
    }

    /// <summary>Whether W3C <c>traceparent</c>/<c>tracestate</c> are read and written.</summary>
    public static bool TraceContext { get; set; } = true;

    /// <summary>Whether W3C <c>baggage</c> is read and written.</summary>
    public static bool Baggage { get; set; } = true;
}
