using System;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Logging;

/// <summary>
/// The logger factory's scope provider with OtelGen's trace context: what .NET's own provider does with
/// <c>Activity.Current</c> for <see cref="LoggerFactoryOptions.ActivityTrackingOptions"/>, done with the innermost of
/// OtelGen's current span and <c>Activity.Current</c>; then the scopes pushed with <c>BeginScope</c>.
/// <see cref="OtelGenLoggingBuilderExtensions.AddOtelGen(ILoggingBuilder)"/> registers it; a factory made by hand takes it as its
/// <c>scopeProvider</c>. It never throws into logging: a scope whose reading throws (a <c>BeginScope</c> state
/// whose <c>ToString</c> throws) is skipped, the rest are still given.
/// </summary>
public sealed class OtelGenScopeProvider : IExternalScopeProvider
{
    private const ActivityTrackingOptions IdFields = ActivityTrackingOptions.SpanId | ActivityTrackingOptions.TraceId |
        ActivityTrackingOptions.ParentId | ActivityTrackingOptions.TraceState | ActivityTrackingOptions.TraceFlags;

    // The last id scope made on this thread: the next log line in the same span reuses it (a scope never changes).
    [ThreadStatic]
    private static TraceLogScope? t_ids;
    [ThreadStatic]
    private static BaggageLogScope? t_baggage;

    private readonly ActivityTrackingOptions _tracking;
    private readonly ActivityTrackingOptions _ids;
    private readonly LoggerExternalScopeProvider _scopes = new();

    /// <summary>Reads <see cref="LoggerFactoryOptions.ActivityTrackingOptions"/> once, as <c>LoggerFactory</c> does.</summary>
    public OtelGenScopeProvider(IOptions<LoggerFactoryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _tracking = options.Value?.ActivityTrackingOptions ?? ActivityTrackingOptions.None;
        _ids = _tracking & IdFields;
    }

    /// <inheritdoc />
    public IDisposable Push(object? state) => _scopes.Push(state);

    /// <inheritdoc />
    public void ForEachScope<TState>(Action<object?, TState> callback, TState state)
    {
        if (callback is null)
        {
            return;
        }
        if (_tracking != ActivityTrackingOptions.None)
        {
            Trace(callback, state, ids: true);
        }
        Pushed(callback, state);
    }

    /// <summary>
    /// What <see cref="ForEachScope"/> gives but the id scope, for OtelGen's OTLP logger, whose records carry the ids as
    /// their own fields: the tag and baggage scopes when their options are on, then the <c>BeginScope</c> scopes. No
    /// id scope is looked up or made, and it is a direct call (the interface's is a generic virtual one).
    /// </summary>
    internal void ForEachScopeWithoutIds<TState>(Action<object?, TState> callback, TState state)
    {
        if ((_tracking & (ActivityTrackingOptions.Tags | ActivityTrackingOptions.Baggage)) != 0)
        {
            Trace(callback, state, ids: false);
        }
        Pushed(callback, state);
    }

    private void Trace<TState>(Action<object?, TState> callback, TState state, bool ids)
    {
        try
        {
            ReportTrace(callback, state, ids);
        }
        catch (Exception e)
        {
            Skipped(e);
        }
    }

    private void Pushed<TState>(Action<object?, TState> callback, TState state)
    {
        try
        {
            _scopes.ForEachScope(static (scope, guarded) => guarded.Give(scope), new Guarded<TState>(callback, state));
        }
        catch (Exception e)
        {
            Skipped(e);
        }
    }

    /// <summary>
    /// The trace scopes, outermost first as .NET gives them: the ids, then tags, then baggage. Which span: the
    /// innermost of OtelGen's and <c>Activity.Current</c> (<see cref="TraceContext.Current"/> decides). An Activity
    /// gets exactly what .NET gives it; an OtelGen span the same keys and text with its own ids. A context that is
    /// no span of this process (one continued from a traceparent, TRACEPARENT in the environment) gives none, as
    /// .NET gives none without an Activity.
    /// </summary>
    private void ReportTrace<TState>(Action<object?, TState> callback, TState state, bool withIds)
    {
        Activity? activity = Activity.Current;
        SpanContext context = TraceContext.Current;
        bool ours = context.IsValid && !context.IsRemote;
        // The open span behind the context, for ParentId and tags (not public on SpanHandle: read internally).
        ActiveSpan? span = ours ? AmbientContext.CurrentSpan() : null;
        SpanId parent = default;
        bool live = false;
        if (span is not null)
        {
            parent = span.Record.ParentSpanId;
            live = span.IsOpen && span.Record.SpanId == context.SpanId && span.Record.TraceId == context.TraceId;
            if (!live)
            {
                parent = default;
            }
        }
        // An open OtelGen span is the innermost (an Activity that stands in for it carries its ids, and gets its scope);
        // otherwise an Activity is (one started inside our span, one with none of ours around it): .NET's answer.
        if (!live && activity is not null)
        {
            ReportActivity(activity, callback, state, withIds);
            return;
        }
        if (!ours)
        {
            return;
        }
        if (_ids != ActivityTrackingOptions.None && withIds)
        {
            TraceLogScope? ids = t_ids;
            if (ids is null || !ids.IsFor(_ids, context, parent, live))
            {
                ids = new TraceLogScope(_ids, context, parent, live);
                t_ids = ids;
            }
            Give(callback, ids, state);
        }
        if ((_tracking & ActivityTrackingOptions.Tags) != 0 && live && SpanTagsLogScope.Of(span!.Record) is { } tags)
        {
            // Read while the span may change: only a span that is still this one counts.
            if (span.IsOpen && span.Record.SpanId == context.SpanId)
            {
                Give(callback, tags, state);
            }
        }
        if ((_tracking & ActivityTrackingOptions.Baggage) != 0)
        {
            Baggage baggage = TraceContext.CurrentBaggage;
            if (baggage.Count > 0)
            {
                BaggageLogScope? scope = t_baggage;
                if (scope is null || !scope.IsFor(baggage))
                {
                    scope = new BaggageLogScope(baggage);
                    t_baggage = scope;
                }
                Give(callback, scope, state);
            }
        }
    }

    /// <summary>What .NET's provider gives for an Activity: the id scope (kept on the Activity), its tags, its baggage.</summary>
    private void ReportActivity<TState>(Activity activity, Action<object?, TState> callback, TState state, bool withIds)
    {
        const string IdsKey = "OtelGen.Logging.Ids";
        const string BaggageKey = "OtelGen.Logging.Baggage";
        if (_ids != ActivityTrackingOptions.None && withIds)
        {
            if (activity.GetCustomProperty(IdsKey) is not TraceLogScope ids || ids.Fields != _ids)
            {
                ids = new TraceLogScope(_ids, activity);
                activity.SetCustomProperty(IdsKey, ids);
            }
            Give(callback, ids, state);
        }
        if ((_tracking & ActivityTrackingOptions.Tags) != 0 && activity.TagObjects.GetEnumerator().MoveNext())
        {
            // As .NET: the tag list is itself an IEnumerable<KeyValuePair<string, object?>>.
            Give(callback, activity.TagObjects, state);
        }
        if ((_tracking & ActivityTrackingOptions.Baggage) != 0)
        {
            var baggage = activity.Baggage;
            if (baggage.GetEnumerator().MoveNext())
            {
                if (activity.GetCustomProperty(BaggageKey) is not BaggageLogScope scope)
                {
                    scope = new BaggageLogScope(baggage);
                    activity.SetCustomProperty(BaggageKey, scope);
                }
                Give(callback, scope, state);
            }
        }
    }

    private static void Give<TState>(Action<object?, TState> callback, object scope, TState state)
    {
        try
        {
            callback(scope, state);
        }
        catch (Exception e)
        {
            Skipped(e);
        }
    }

    private static void Skipped(Exception e) =>
        OtelGen.Configuration.Diagnostics.Warn("a log scope could not be read (" + e.GetType().Name + "); it was left out of the log line.");

    /// <summary>The provider's callback and state, so that each BeginScope scope is given on its own (one that throws is skipped).</summary>
    private readonly struct Guarded<TState>
    {
        private readonly Action<object?, TState> _callback;
        private readonly TState _state;

        public Guarded(Action<object?, TState> callback, TState state)
        {
            _callback = callback;
            _state = state;
        }

        public void Give(object? scope)
        {
            try
            {
                _callback(scope, _state);
            }
            catch (Exception e)
            {
                Skipped(e);
            }
        }
    }
}
