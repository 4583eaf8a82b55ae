using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Activities;

/// <summary>
/// OtelGen's one <see cref="ActivityListener"/>. For the sources the user named (<see cref="ActivitySourceSelection"/>)
/// it samples with OtelGen's head decision, parents each Activity under the OtelGen span current where it starts
/// (rewriting its ids, <see cref="ActivityIds"/>), and when it stops queues it (<see cref="PendingActivities"/>) to be
/// copied into the ring as a span like any other (kind, status, tags, events, links) before the ring is next read, so
/// that folds, the dashboard and OTLP see it. It also listens to <c>System.Net.Http</c>, named or not: HttpClient
/// injects <c>traceparent</c> only through an Activity, so while an OtelGen span is current it asks for a
/// propagation-only one, which then stands in for the span (the span's own ids); with no OtelGen span current it asks
/// for nothing. And it hears Activities made with <c>new Activity()</c> start, to reparent them or let them stand in.
/// </summary>
internal static class ActivityRecorder
{
    /// <summary>HttpClient's source (System.Net.Http, .NET 9+): listened to for propagation even when not named.</summary>
    internal const string HttpClientSource = "System.Net.Http";

    /// <summary>
    /// The source the OpenTelemetry bridge (OtelGen.OpenTelemetry) re-creates OtelGen's spans under, for the SDK's
    /// exporters: never recorded here, whatever the selection says, or every span would come round again.
    /// </summary>
    internal const string BridgeSource = "OtelGen";

    private static readonly object s_gate = new();
    // Taken inside ShouldListenTo, which .NET calls under its own lock (also from Listen, under s_gate): never
    // held while taking another.
    private static readonly object s_recordedGate = new();
    private static ActivityListener? s_listener;
    private static ActivitySourceSelection s_selection = ActivitySourceSelection.Empty;
    // The sources recorded, filled by ShouldListenTo (once per source and listener), so that sampling an Activity
    // costs a scan of a few references, not a name match. Copied on write: a process has a handful of sources.
    private static ActivitySource[] s_recorded = Array.Empty<ActivitySource>();
    // Parents chosen for Activities whose ids could not be rewritten (ActivityIds.CanRewrite false).
    private static readonly ConditionalWeakTable<Activity, StrongBox<SpanId>> s_parentOverrides = new();

    // Stopped Activities not yet copied into the ring, and how often the thread pool is asked to copy them.
    private const int DrainEvery = 512;
    private static readonly PendingActivities s_pending = new(8192);
    private static int s_drainQueued;

    [ThreadStatic]
    private static SpanRecord? t_scratch;
    [ThreadStatic]
    private static KeyValue[]? t_attributes;

    /// <summary>
    /// Set by the OpenTelemetry bridge to the SDK's <c>Sdk.SuppressInstrumentation</c>: an exporter that sends with
    /// HttpClient suppresses instrumentation around its own requests, and those must not become spans (each batch
    /// would make a trace of its own, for ever). Null when no bridge is loaded.
    /// </summary>
    internal static Func<bool>? IsSuppressed;

    // Set around OtelGen's own HttpClient calls (the OTLP/gRPC exporter): nothing it does is recorded or stood in for.
    [ThreadStatic]
    private static bool t_suppressed;

    /// <summary>Suppresses (or restores) recording on this thread; returns what it was.</summary>
    internal static bool SuppressOnThisThread(bool suppress)
    {
        bool was = t_suppressed;
        t_suppressed = suppress;
        return was;
    }

    /// <summary>
    /// Whether someone exports <paramref name="activity"/>: a listener of its source asked for all data (an exporter
    /// needs the tags). Not the sampled flag, which an Activity can carry for its children without being recorded
    /// (a propagation-only one on older runtimes, a stand-in, any Activity made with <c>new Activity()</c>, which
    /// copies its parent's flags and says IsAllDataRequested until told otherwise though no source asked).
    /// </summary>
    internal static bool IsExported(Activity activity) => activity.IsAllDataRequested && activity.Source.Name.Length > 0;

    /// <summary>The selection in force.</summary>
    internal static ActivitySourceSelection Selection => s_selection;

    /// <summary>
    /// Whether HttpClient's own Activities are recorded (System.Net.Http named): OtelGen.AspNetCore's client handler
    /// then records no CLIENT span of its own, which would be the same request twice.
    /// </summary>
    internal static bool RecordsHttpClient { get; private set; }

    /// <summary>Listens with <paramref name="selection"/> (replacing the listener, so every source is asked again).</summary>
    internal static void Listen(ActivitySourceSelection selection)
    {
        lock (s_gate)
        {
            s_selection = selection;
            RecordsHttpClient = selection.Matches(HttpClientSource);
            var listener = new ActivityListener
            {
                ShouldListenTo = source => ShouldListenTo(source, selection),
                Sample = Sample,
                SampleUsingParentId = SampleUsingParentId,
                ActivityStarted = OnStarted,
                ActivityStopped = OnStopped,
            };
            // The old listener goes first: two at once would record an Activity twice.
            s_listener?.Dispose();
            s_recorded = Array.Empty<ActivitySource>();
            s_listener = listener;
            ActivitySource.AddActivityListener(listener);
        }
    }

    private static bool ShouldListenTo(ActivitySource source, ActivitySourceSelection selection)
    {
        try
        {
            if (source.Name == BridgeSource)
            {
                return false;
            }
            if (source.Name.Length == 0)
            {
                // Activities made with new Activity() (older libraries, HttpClient's fallback, a host's request
                // Activity when nothing listens to its source): never recorded, but reparented or made stand-ins
                // when they start inside an OtelGen span, as a source's are. Heard only as they start and stop.
                return true;
            }
            bool record = selection.Matches(source.Name);
            if (record)
            {
                lock (s_recordedGate)
                {
                    ActivitySource[] before = s_recorded;
                    var after = new ActivitySource[before.Length + 1];
                    before.CopyTo(after, 0);
                    after[^1] = source;
                    s_recorded = after;
                }
            }
            return record || source.Name == HttpClientSource;
        }
        catch
        {
            return false;
        }
    }

    private static bool IsRecorded(ActivitySource source)
    {
        foreach (ActivitySource recorded in s_recorded)
        {
            if (ReferenceEquals(recorded, source))
            {
                return true;
            }
        }
        return false;
    }

    private static ActivitySamplingResult Sample(ref ActivityCreationOptions<ActivityContext> options)
    {
        try
        {
            if (!SpanSink.IsEnabled || t_suppressed || IsSuppressed?.Invoke() == true)
            {
                return ActivitySamplingResult.None;
            }
            bool record = IsRecorded(options.Source);
            SpanContext parent;
            bool ours;
            if (options.Parent == default)
            {
                // No parent given and none current (.NET puts Activity.Current's context here when there is one).
                parent = ParentWhereStarting(null, out ours);
            }
            else if (Activity.Current is { } current && IsCurrent(current, options.Parent))
            {
                parent = ParentWhereStarting(current, out ours);
            }
            else
            {
                // A parent the library named (an incoming request's traceparent, a message's context): kept.
                parent = FromActivityContext(options.Parent);
                ours = false;
            }
            if (!record)
            {
                // Propagation only (System.Net.Http not named): an Activity only to carry our context out.
                return ours ? ActivitySamplingResult.PropagationData : ActivitySamplingResult.None;
            }
            TraceId traceId = parent.TraceId.IsValid ? parent.TraceId
                : HeadDecision.NeedsTraceId(parent) ? TraceId.FromActivityTraceId(options.TraceId) : default;
            byte flags = HeadDecision.Decide(parent, traceId, out bool recording);
            if (!recording)
            {
                return ActivitySamplingResult.PropagationData;
            }
            return (flags & TraceParent.SampledFlag) != 0 ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.AllData;
        }
        catch
        {
            // Telemetry never throws into the application.
            return ActivitySamplingResult.None;
        }
    }

    private static ActivitySamplingResult SampleUsingParentId(ref ActivityCreationOptions<string> options)
    {
        try
        {
            if (!SpanSink.IsEnabled || !IsRecorded(options.Source))
            {
                return ActivitySamplingResult.None;
            }
            if (options.Parent is { } id && ActivityContext.TryParse(id, null, out ActivityContext context))
            {
                byte flags = HeadDecision.Decide(FromActivityContext(context), TraceId.FromActivityTraceId(context.TraceId), out bool recording);
                return !recording ? ActivitySamplingResult.PropagationData
                    : (flags & TraceParent.SampledFlag) != 0 ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.AllData;
            }
            WarnNotW3C(options.Source.Name);
            return ActivitySamplingResult.None;
        }
        catch
        {
            return ActivitySamplingResult.None;
        }
    }

    private static bool IsCurrent(Activity current, in ActivityContext parent) =>
        current.SpanId == parent.SpanId && current.TraceId == parent.TraceId;

    /// <summary>
    /// The parent an Activity starting now, under <paramref name="current"/> (Activity.Current before it), should
    /// have: OtelGen's innermost span when that is inside <paramref name="current"/> (<paramref name="ours"/>),
    /// otherwise <paramref name="current"/>'s context (or the process's parent).
    /// </summary>
    internal static SpanContext ParentWhereStarting(Activity? current, out bool ours)
    {
        current = AmbientContext.Live(current);
        if (TryOursWhereStarting(current, out SpanContext context))
        {
            ours = true;
            return context;
        }
        ours = false;
        SpanContext fromActivity = AmbientContext.FromActivity(current);
        return fromActivity.IsValid ? fromActivity : TraceContext.ProcessParent;
    }

    /// <summary>OtelGen's innermost span, when it is inside <paramref name="current"/> (a live Activity, or null).</summary>
    private static bool TryOursWhereStarting(Activity? current, out SpanContext context) =>
        AmbientContext.TryGetOurs(out context, out _, out Activity? startedUnder)
        && (ReferenceEquals(current, startedUnder) || !AmbientContext.IsInside(current, startedUnder) || IsStandIn(current!, context));

    /// <summary>
    /// An Activity standing in for our span (given the span's ids when it started): the span itself, not a child.
    /// Its span id is our span's, which no other Activity has (ids are random; one that reuses a span id is warned about).
    /// </summary>
    internal static bool IsStandIn(Activity activity, in SpanContext ours) =>
        activity.IdFormat == ActivityIdFormat.W3C && SpanId.FromActivitySpanId(activity.SpanId) == ours.SpanId;

    private static void OnStarted(Activity activity)
    {
        try
        {
            if (!SpanSink.IsEnabled || t_suppressed || IsSuppressed?.Invoke() == true)
            {
                return;
            }
            if (activity.IdFormat != ActivityIdFormat.W3C)
            {
                // Said only for a source the user asked to record; HttpClient's and new Activity()'s are heard for
                // propagation alone, and an app that chose hierarchical ids knows it.
                if (IsRecorded(activity.Source))
                {
                    WarnNotW3C(activity.Source.Name);
                }
                return;
            }
            // Only an Activity that took its parent from Activity.Current (or had none) is reparented; one whose
            // library named a parent (an incoming request, a message) keeps it.
            Activity? parent = activity.Parent;
            bool implicitParent = parent is not null || (activity.ParentSpanId == default && !activity.HasRemoteParent);
            if (!implicitParent)
            {
                return;
            }
            // Most Activities start outside any OtelGen span: one look at our own context and done.
            if (!TryOursWhereStarting(AmbientContext.Live(parent), out SpanContext ours))
            {
                return;
            }
            if (!IsExported(activity))
            {
                // Nobody records it (HttpClient's propagation-only Activity): it stands in for our span, with our
                // span's own ids, so that whatever sends it (the default propagator captured by a handler made
                // before OtelGen loaded, the OpenTelemetry SDK's, a library reading Activity.Current.Id) sends a
                // span that is exported. It is never exported itself, so the repeated span id is never seen.
                if (ActivityIds.TrySetIds(activity, ours.TraceId, ours.SpanId, default, ours.TraceFlags, ours.IsSampled) && ours.TraceState is { } standInState)
                {
                    activity.TraceStateString = standInState;
                }
                return;
            }
            // Sampled as decided for it (by us, or by every listener together); the random flag travels with the trace id.
            bool sampled = activity.Recorded;
            if (!ActivityIds.TryReparent(activity, ours, sampled))
            {
                s_parentOverrides.AddOrUpdate(activity, new StrongBox<SpanId>(ours.SpanId));
                return;
            }
            if (ours.TraceState is { } state)
            {
                activity.TraceStateString = state;
            }
        }
        catch
        {
            // Telemetry never throws into the application.
        }
    }

    private static void OnStopped(Activity activity)
    {
        try
        {
            if (!activity.IsAllDataRequested || activity.IdFormat != ActivityIdFormat.W3C || !SpanSink.IsEnabled || !IsRecorded(activity.Source))
            {
                return;
            }
            // The copy into the ring (ids, tags, events, links) happens off this thread, as the OpenTelemetry SDK's
            // batch processor defers its work: before anyone reads the ring (exporters, the dashboard, folds), or on
            // the thread pool every DrainEvery Activities. Only when nobody has drained a whole queue's worth is
            // one copied here, so that nothing is lost.
            if (s_pending.TryAdd(activity, out long position))
            {
                if (((position + 1) & (DrainEvery - 1)) == 0)
                {
                    ScheduleDrain();
                }
                return;
            }
            CopyToRing(activity);
        }
        catch
        {
            // Telemetry never throws into the application.
        }
    }

    /// <summary>Copies every stopped Activity waiting into the ring (at most a queue's worth, so that a drain ends).</summary>
    internal static void DrainPending()
    {
        PendingActivities pending = s_pending;
        if (pending.Count <= 0)
        {
            return;
        }
        for (int i = 0; i < pending.Capacity && pending.TryTake(out Activity? activity); i++)
        {
            CopyToRing(activity!);
        }
    }

    private static void ScheduleDrain()
    {
        if (Interlocked.Exchange(ref s_drainQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ =>
            {
                Volatile.Write(ref s_drainQueued, 0);
                DrainPending();
            }, null);
        }
    }

    private static void CopyToRing(Activity activity)
    {
        try
        {
            SpanRecord record = t_scratch ??= new SpanRecord();
            Copy(activity, record);
            SpanSink.OnEnd(record);
            record.Clear();
        }
        catch
        {
            // A library's Activity that cannot be read is dropped, never thrown.
        }
    }

    /// <summary>Copies a stopped Activity into <paramref name="record"/> (cleared first).</summary>
    internal static void Copy(Activity activity, SpanRecord record)
    {
        record.Clear();
        record.TraceId = TraceId.FromActivityTraceId(activity.TraceId);
        record.SpanId = SpanId.FromActivitySpanId(activity.SpanId);
        record.ParentSpanId = !ActivityIds.CanRewrite && s_parentOverrides.TryGetValue(activity, out StrongBox<SpanId>? box) ? box.Value : SpanId.FromActivitySpanId(activity.ParentSpanId);
        if (record.ParentSpanId == record.SpanId)
        {
            // A library that reused a span id made the Activity its own parent: exported as a root of its trace
            // rather than as a cycle that no backend can draw.
            Diagnostics.Warn($"an Activity of source '{activity.Source.Name}' has its own span id as parent id; OtelGen exports it without a parent.");
            record.ParentSpanId = default;
        }
        record.ParentIsRemote = activity.HasRemoteParent;
        record.TraceFlags = (byte)activity.ActivityTraceFlags;
        record.TraceState = activity.TraceStateString;
        record.Name = activity.DisplayName;
        record.ScopeName = activity.Source.Name.Length > 0 ? activity.Source.Name : null;
        record.ScopeVersion = string.IsNullOrEmpty(activity.Source.Version) ? null : activity.Source.Version;
        record.Kind = activity.Kind;
        record.StartUnixNano = UnixNanos(activity.StartTimeUtc);
        record.EndUnixNano = record.StartUnixNano + activity.Duration.Ticks * 100;
        record.StatusCode = activity.Status switch
        {
            ActivityStatusCode.Ok => SpanStatusCode.Ok,
            ActivityStatusCode.Error => SpanStatusCode.Error,
            _ => SpanStatusCode.Unset,
        };
        record.StatusMessage = activity.Status == ActivityStatusCode.Error ? activity.StatusDescription : null;
        foreach (ref readonly KeyValuePair<string, object?> tag in activity.EnumerateTagObjects())
        {
            if (tag.Value is null)
            {
                continue;
            }
            // Instrumentations older than ActivityStatusCode report status as otel.status_code/description tags.
            if (tag.Key == "otel.status_code")
            {
                if (record.StatusCode == SpanStatusCode.Unset && tag.Value is string code)
                {
                    record.StatusCode = code == "ERROR" ? SpanStatusCode.Error : code == "OK" ? SpanStatusCode.Ok : SpanStatusCode.Unset;
                }
                continue;
            }
            if (tag.Key == "otel.status_description")
            {
                record.StatusMessage ??= tag.Value as string;
                continue;
            }
            if (TryConvert(tag.Value, out AttributeValue value))
            {
                record.SetAttribute(tag.Key, value);
            }
        }
        foreach (ref readonly ActivityEvent e in activity.EnumerateEvents())
        {
            int count = CopyTags(e.EnumerateTagObjects());
            record.AddEvent(e.Name, UnixNanos(e.Timestamp.UtcDateTime), t_attributes.AsSpan(0, count));
        }
        foreach (ref readonly ActivityLink link in activity.EnumerateLinks())
        {
            int count = CopyTags(link.EnumerateTagObjects());
            ActivityContext c = link.Context;
            record.AddLink(TraceId.FromActivityTraceId(c.TraceId), SpanId.FromActivitySpanId(c.SpanId), (byte)c.TraceFlags, c.TraceState, t_attributes.AsSpan(0, count), c.IsRemote);
        }
        if (record.StatusCode == SpanStatusCode.Error && !record.TryGetAttribute("error.type", out _))
        {
            // OtelGen's own failed spans always say why (error.type); a library that only set the status says less.
            record.SetAttribute("error.type", "_OTHER");
        }
    }

    private static int CopyTags(Activity.Enumerator<KeyValuePair<string, object?>> tags)
    {
        KeyValue[] buffer = t_attributes ??= new KeyValue[16];
        int count = 0;
        foreach (ref readonly KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Value is null || !TryConvert(tag.Value, out AttributeValue value))
            {
                continue;
            }
            if (count == buffer.Length)
            {
                if (count >= SpanRecord.MaxAttributes)
                {
                    break;
                }
                Array.Resize(ref buffer, count * 2);
                t_attributes = buffer;
            }
            buffer[count++] = new KeyValue(tag.Key, value);
        }
        return count;
    }

    /// <summary>An Activity tag's value as an OTLP attribute value; anything else becomes its text.</summary>
    internal static bool TryConvert(object value, out AttributeValue result)
    {
        switch (value)
        {
            case string s: result = AttributeValue.Of(s); return true;
            case bool b: result = AttributeValue.Of(b); return true;
            case int i: result = AttributeValue.Of(i); return true;
            case long l: result = AttributeValue.Of(l); return true;
            case double d: result = AttributeValue.Of(d); return true;
            case short s16: result = AttributeValue.Of(s16); return true;
            case byte u8: result = AttributeValue.Of(u8); return true;
            case sbyte s8: result = AttributeValue.Of(s8); return true;
            case ushort u16: result = AttributeValue.Of(u16); return true;
            case uint u32: result = AttributeValue.Of(u32); return true;
            case ulong u64: result = AttributeValue.Of(unchecked((long)u64)); return true;
            case float f: result = AttributeValue.Of(f); return true;
            case decimal m: result = AttributeValue.Of((double)m); return true;
            case char c: result = AttributeValue.Of(c); return true;
            case string[] strings: result = AttributeValue.Of(strings); return true;
            case bool[] bools: result = AttributeValue.Of(bools); return true;
            case long[] longs: result = AttributeValue.Of(longs); return true;
            case int[] ints: result = AttributeValue.Of(Array.ConvertAll(ints, x => (long)x)); return true;
            case double[] doubles: result = AttributeValue.Of(doubles); return true;
        }
        try
        {
            result = AttributeValue.Of(value.ToString());
            return true;
        }
        catch
        {
            result = default;
            return false;
        }
    }

    private static long UnixNanos(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private static SpanContext FromActivityContext(in ActivityContext context) => new(
        TraceId.FromActivityTraceId(context.TraceId),
        SpanId.FromActivitySpanId(context.SpanId),
        (byte)((byte)context.TraceFlags & TraceParent.KnownFlags),
        context.TraceState,
        context.IsRemote);

    private static void WarnNotW3C(string source) =>
        Diagnostics.Warn($"an Activity of source '{source}' uses the hierarchical id format, which OpenTelemetry cannot carry; OtelGen does not record it (set Activity.DefaultIdFormat = ActivityIdFormat.W3C, the default since .NET 5).");
}
