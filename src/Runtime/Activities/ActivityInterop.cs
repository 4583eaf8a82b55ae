using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using OtelGen.Configuration;

namespace OtelGen.Activities;

/// <summary>
/// Puts OtelGen among Activities, once per process: wraps <see cref="DistributedContextPropagator.Current"/> (so that
/// HttpClient and other libraries send OtelGen's context) and starts the listener (<see cref="ActivityRecorder"/>)
/// with the sources <c>OTELGEN_ACTIVITY_SOURCES</c> names. Done when the OtelGen assembly loads, before the first
/// span, because HttpClient handlers take the propagator when they are made.
/// </summary>
internal static class ActivityInterop
{
    private static int s_installed;

    internal static void Install()
    {
        if (Interlocked.Exchange(ref s_installed, 1) != 0)
        {
            return;
        }
        try
        {
            DistributedContextPropagator current = DistributedContextPropagator.Current;
            if (current is not OutgoingContextPropagator)
            {
                DistributedContextPropagator.Current = new OutgoingContextPropagator(current);
            }
            _ = ActivityIds.CanRewrite;
            ActivityRecorder.Listen(ActivitySourceSelection.Parse(EnvironmentSettings.Get("OTELGEN_ACTIVITY_SOURCES")));
            AppDomain.CurrentDomain.ProcessExit += static (_, _) => WarnUnseen();
        }
        catch (Exception e)
        {
            Diagnostics.Warn("Activity interop could not start (" + e.GetType().Name + ": " + e.Message + "); OtelGen records its own spans only.");
        }
    }

    /// <summary>Records the Activities of these sources too (names and <c>*</c> patterns, as in <c>OTELGEN_ACTIVITY_SOURCES</c>).</summary>
    internal static void Record(IEnumerable<string?> sourceNames)
    {
        Install();
        ActivityRecorder.Listen(ActivityRecorder.Selection.With(ActivitySourceSelection.From(sourceNames, "Tracing.RecordActivities")));
    }

    /// <summary>Says once which named sources never existed (typos: "Npgsq"), with the closest name that did.</summary>
    internal static void WarnUnseen()
    {
        if (ActivityRecorder.Selection.UnseenWarning() is { } warning)
        {
            Diagnostics.Warn(warning);
        }
    }
}
