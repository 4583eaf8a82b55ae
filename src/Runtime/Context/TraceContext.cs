using System;
using System.Diagnostics;
using System.Collections.Generic;
using OtelGen.Spans;

namespace OtelGen.Context;

/// <summary>
/// The current trace context, and how it crosses boundaries: continue a context that arrived in headers,
/// a database row or the environment; read the current one to send it on.
/// </summary>
public static class TraceContext
{
    /// <summary>
    /// The context a process was started with: <c>TRACEPARENT</c>, <c>TRACESTATE</c> and <c>BAGGAGE</c>
    /// environment variables (the OpenTelemetry environment-carrier names), read once. Spans that find no
    /// other parent become its children, so a child process joins its parent's trace.
    /// </summary>
    public static SpanContext ProcessParent { get; } = ReadEnvironment(out _);

    /// <summary>The baggage a process was started with (<c>BAGGAGE</c>).</summary>
    public static Baggage ProcessBaggage { get; } = ReadEnvironmentBaggage();

    /// <summary>The current span's context (or the continued remote one), or default when there is none.</summary>
    public static SpanContext Current => AmbientContext.CurrentContext(out _);

    /// <summary>The current baggage.</summary>
    public static Baggage CurrentBaggage
    {
        get
        {
            AmbientContext.CurrentContext(out Baggage baggage);
            return baggage;
        }
    }

    /// <summary>
    /// Makes a remote context current until the returned scope is disposed: spans started inside become
    /// its children. An invalid <paramref name="traceparent"/> continues nothing (spans start a new
    /// trace) and its tracestate is dropped, as W3C Trace Context requires; baggage is kept either way.
    /// </summary>
    public static ContextScope Continue(string? traceparent, string? tracestate = null, string? baggage = null)
    {
        SpanContext context = default;
        if (Propagators.TraceContext)
        {
            TraceParent.TryParse(traceparent, tracestate, out context);
        }
        return Continue(context, Propagators.Baggage ? BaggageHeader.Parse(baggage) : Baggage.Empty);
    }

    /// <summary>Makes <paramref name="context"/> (and <paramref name="baggage"/>) current until the scope is disposed.</summary>
    public static ContextScope Continue(SpanContext context, Baggage? baggage = null)
    {
        FlowNode? previous = FlowNode.Current.Value;
        FlowNode.Current.Value = FlowNode.ForScope(context, null, baggage ?? Baggage.Empty, Activity.Current, previous);
        return new ContextScope(previous);
    }

    /// <summary>Sets a baggage entry in the current flow (null removes it), until the scope is disposed.</summary>
    public static ContextScope SetBaggage(string name, string? value)
    {
        SpanContext context = AmbientContext.CurrentContext(out Baggage baggage);
        if (value is not null && !BaggageHeader.IsToken(name))
        {
            BaggageHeader.Drop($"baggage name '{name}' is not a token");
            return new ContextScope(FlowNode.Current.Value, restore: false);
        }
        FlowNode? previous = FlowNode.Current.Value;
        ActiveSpan? live = AmbientContext.CurrentSpan();
        FlowNode.Current.Value = FlowNode.ForScope(context, live, baggage.With(name, value), Activity.Current, previous);
        return new ContextScope(previous);
    }

    /// <summary>
    /// The headers to send with an outgoing request: <c>traceparent</c>, and <c>tracestate</c>/<c>baggage</c>
    /// when present (as <see cref="Propagators"/> allows). The sampled flag is the head decision.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToHeaders()
    {
        SpanContext context = AmbientContext.CurrentContext(out Baggage baggage);
        var headers = new List<KeyValuePair<string, string>>(3);
        if (context.IsValid && Propagators.TraceContext)
        {
            headers.Add(new("traceparent", TraceParent.Format(context)));
            if (!string.IsNullOrEmpty(context.TraceState))
            {
                headers.Add(new("tracestate", context.TraceState!));
            }
        }
        if (Propagators.Baggage && BaggageHeader.Format(baggage) is { } header)
        {
            headers.Add(new("baggage", header));
        }
        return headers;
    }

    /// <summary>
    /// The environment for a child process: <c>TRACEPARENT</c>, <c>TRACESTATE</c> and <c>BAGGAGE</c> from
    /// the current context, e.g. <c>foreach (var kv in TraceContext.ToEnvironment()) startInfo.Environment[kv.Key] = kv.Value;</c>
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToEnvironment()
    {
        var result = new List<KeyValuePair<string, string>>(3);
        foreach (KeyValuePair<string, string> header in ToHeaders())
        {
            result.Add(new(header.Key.ToUpperInvariant(), header.Value));
        }
        return result;
    }

    private static SpanContext ReadEnvironment(out Baggage baggage)
    {
        baggage = Baggage.Empty;
        try
        {
            string? traceparent = Environment.GetEnvironmentVariable("TRACEPARENT");
            if (traceparent is null)
            {
                return default;
            }
            if (!TraceParent.TryParse(traceparent, Environment.GetEnvironmentVariable("TRACESTATE"), out SpanContext context))
            {
                OtelGen.Configuration.Diagnostics.Warn("TRACEPARENT is not a valid W3C traceparent; spans start new traces.");
                return default;
            }
            return context;
        }
        catch
        {
            return default;
        }
    }

    private static Baggage ReadEnvironmentBaggage()
    {
        try
        {
            return BaggageHeader.Parse(Environment.GetEnvironmentVariable("BAGGAGE"));
        }
        catch
        {
            return Baggage.Empty;
        }
    }
}

/// <summary>Restores the previous context when disposed (see <see cref="TraceContext.Continue(string, string, string)"/>).</summary>
public readonly struct ContextScope : IDisposable
{
    private readonly FlowNode? _previous;
    private readonly bool _restore;

    internal ContextScope(FlowNode? previous, bool restore = true)
    {
        _previous = previous;
        _restore = restore;
    }

    /// <summary>Puts the previous context back.</summary>
    public void Dispose()
    {
        if (_restore)
        {
            FlowNode.Current.Value = _previous;
        }
    }
}
