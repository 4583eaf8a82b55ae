using System;
using System.Collections.Generic;
using System.Diagnostics;
using OtelGen.Activities;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.OpenTelemetry;

/// <summary>
/// Re-creates one finished OtelGen span as a finished <see cref="Activity"/> of the <c>OtelGen</c> source, so that the
/// SDK's listener runs its processors and exporters on it. Only the bridge's thread calls this (it allocates: the
/// Activity, its tags, events and links), never a thread that records spans.
/// </summary>
internal static class SpanConversion
{
    /// <summary>
    /// The source the bridge's Activities come from (<see cref="ActivityRecorder.BridgeSource"/>, which OtelGen's own
    /// listener never records: the spans do not come round again). No version, like the scope OtelGen's own OTLP export names.
    /// </summary>
    internal static readonly ActivitySource Source = new(ActivityRecorder.BridgeSource);

    [ThreadStatic]
    private static List<KeyValuePair<string, object?>>? t_tags;
    [ThreadStatic]
    private static List<ActivityLink>? t_links;

    /// <summary>What became of one span.</summary>
    internal enum Outcome
    {
        /// <summary>Handed to the SDK: its processors saw it end.</summary>
        Bridged,
        /// <summary>No listener wanted it (the SDK's sampler dropped it, or no provider listens).</summary>
        NotSampled,
        /// <summary>The Activity could not be given the span's ids: stopped unrecorded, so no exporter sees it.</summary>
        NotRewritten,
    }

    /// <summary>
    /// Creates, starts, fills and stops the Activity for <paramref name="span"/>: the SDK's sampler decides on it at
    /// creation (it sees the span's trace id, and its parent's span id and flags as OtelGen recorded them), processors'
    /// <c>OnStart</c> and <c>OnEnd</c> run inside, and exporters get it with OtelGen's trace id, span id, parent span id,
    /// name, kind, attributes, events, links, status and times.
    /// </summary>
    internal static Outcome Bridge(SpanRecord span)
    {
        // A root's "parent" carries the trace id alone (no span id): the Activity and the SDK's sampler then use
        // OtelGen's trace id, and a ratio sampler decides as OtelGen's own head sampling did, on the same bits.
        var parent = new ActivityContext(
            span.TraceId.ToActivityTraceId(),
            span.ParentSpanId.IsValid ? span.ParentSpanId.ToActivitySpanId() : default,
            (ActivityTraceFlags)(span.TraceFlags & TraceParent.KnownFlags),
            span.TraceState,
            span.ParentIsRemote);
        List<KeyValuePair<string, object?>> tags = t_tags ??= new List<KeyValuePair<string, object?>>();
        List<ActivityLink> links = t_links ??= new List<ActivityLink>();
        tags.Clear();
        links.Clear();
        Activity? activity;
        try
        {
            int count = span.TotalAttributeCount;
            for (int i = 0; i < count; i++)
            {
                ref readonly KeyValue attribute = ref span.AttributeAt(i);
                tags.Add(new KeyValuePair<string, object?>(attribute.Key, ToObject(attribute.Value)));
            }
            for (int i = 0; i < span.LinkCount; i++)
            {
                ref readonly SpanLink link = ref span.Links[i];
                var context = new ActivityContext(link.TraceId.ToActivityTraceId(), link.SpanId.ToActivitySpanId(), (ActivityTraceFlags)(link.TraceFlags & TraceParent.KnownFlags), link.TraceState, link.IsRemote);
                links.Add(new ActivityLink(context, Tags(span.NestedRange(link.AttributeStart, link.AttributeCount))));
            }
            // The Activity copies the tags and links: the lists are reused for the next span.
            activity = Source.CreateActivity(span.Name, span.Kind, parent, tags, links, ActivityIdFormat.W3C);
        }
        finally
        {
            tags.Clear();
            links.Clear();
        }
        if (activity is null)
        {
            return Outcome.NotSampled;
        }
        DateTime start = UtcOf(span.StartUnixNano);
        // An Activity stopped with a zero duration takes the stop time as its end: a span shorter than the Activity's
        // 100 ns tick is given one tick instead.
        DateTime end = UtcOf(span.EndUnixNano);
        if (end <= start)
        {
            end = start.AddTicks(1);
        }
        activity.SetStartTime(start);
        activity.Start();
        bool rewritten = false;
        try
        {
            // Start gave it a span id of its own (and processors' OnStart saw that one); from here on it is OtelGen's.
            rewritten = ActivityIds.TrySetIds(activity, span.TraceId, span.SpanId, span.ParentSpanId, span.TraceFlags, activity.Recorded);
            if (!rewritten)
            {
                // Exported with wrong ids it would be worse than not at all: the SDK's listener skips an Activity that
                // does not ask for all data, and exporters skip an unrecorded one.
                activity.IsAllDataRequested = false;
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                return Outcome.NotRewritten;
            }
            for (int i = 0; i < span.EventCount; i++)
            {
                ref readonly SpanEvent e = ref span.Events[i];
                activity.AddEvent(new ActivityEvent(e.Name, new DateTimeOffset(UtcOf(e.TimeUnixNano)), Tags(span.NestedRange(e.AttributeStart, e.AttributeCount))));
            }
            switch (span.StatusCode)
            {
                case SpanStatusCode.Ok:
                    activity.SetStatus(ActivityStatusCode.Ok);
                    break;
                case SpanStatusCode.Error:
                    activity.SetStatus(ActivityStatusCode.Error, span.StatusMessage);
                    break;
            }
            activity.SetEndTime(end);
        }
        finally
        {
            // Always stopped: Activity.Current on this thread goes back to what it was.
            activity.Stop();
        }
        return Outcome.Bridged;
    }

    private static ActivityTagsCollection? Tags(ReadOnlySpan<KeyValue> attributes)
    {
        if (attributes.IsEmpty)
        {
            return null;
        }
        var tags = new ActivityTagsCollection();
        foreach (KeyValue attribute in attributes)
        {
            tags[attribute.Key] = ToObject(attribute.Value);
        }
        return tags;
    }

    /// <summary>An attribute value as the Activity tag object the SDK's exporters understand: string, bool, long, double or an array of one of them.</summary>
    internal static object? ToObject(AttributeValue value) => value.Type switch
    {
        AttributeType.String => value.AsString(),
        AttributeType.Bool => value.AsBool(),
        AttributeType.Long => value.AsLong(),
        AttributeType.Double => value.AsDouble(),
        AttributeType.StringArray => value.AsStringArray(),
        AttributeType.BoolArray => value.AsBoolArray(),
        AttributeType.LongArray => value.AsLongArray(),
        AttributeType.DoubleArray => value.AsDoubleArray(),
        _ => null,
    };

    /// <summary>Unix nanoseconds as a UTC time (the Activity's 100 ns ticks: the nanoseconds below a tick are dropped).</summary>
    internal static DateTime UtcOf(long unixNanos) => new(DateTime.UnixEpoch.Ticks + unixNanos / 100, DateTimeKind.Utc);
}
