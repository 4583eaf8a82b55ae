using System;
using System.Collections.Generic;
using System.Diagnostics;
using OtelGen.Spans;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>Turns a finished Activity into the SpanRecord OtelGen would have recorded for it.</summary>
internal static class ActivityConversion
{
    public static long UnixNanos(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static SpanRecord ToRecord(Activity activity)
    {
        var record = new SpanRecord
        {
            TraceId = TraceId.FromActivityTraceId(activity.TraceId),
            SpanId = SpanId.FromActivitySpanId(activity.SpanId),
            ParentSpanId = activity.ParentSpanId == default ? default : SpanId.FromActivitySpanId(activity.ParentSpanId),
            ParentIsRemote = activity.HasRemoteParent,
            TraceFlags = (byte)activity.ActivityTraceFlags,
            TraceState = activity.TraceStateString,
            Name = activity.DisplayName,
            Kind = activity.Kind,
            StartUnixNano = UnixNanos(activity.StartTimeUtc),
            StatusCode = activity.Status switch { ActivityStatusCode.Ok => SpanStatusCode.Ok, ActivityStatusCode.Error => SpanStatusCode.Error, _ => SpanStatusCode.Unset },
            StatusMessage = activity.StatusDescription,
        };
        record.EndUnixNano = record.StartUnixNano + activity.Duration.Ticks * 100;
        foreach (KeyValuePair<string, object?> tag in activity.TagObjects)
        {
            record.SetAttribute(tag.Key, Value(tag.Value));
        }
        foreach (ActivityEvent e in activity.Events)
        {
            record.AddEvent(e.Name, UnixNanos(e.Timestamp.UtcDateTime), Attributes(e.Tags));
        }
        foreach (ActivityLink link in activity.Links)
        {
            record.AddLink(TraceId.FromActivityTraceId(link.Context.TraceId), SpanId.FromActivitySpanId(link.Context.SpanId),
                (byte)link.Context.TraceFlags, link.Context.TraceState, Attributes(link.Tags), link.Context.IsRemote);
        }
        return record;
    }

    private static KeyValue[] Attributes(IEnumerable<KeyValuePair<string, object?>>? tags)
    {
        var list = new List<KeyValue>();
        if (tags is not null)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                list.Add(new KeyValue(tag.Key, Value(tag.Value)));
            }
        }
        return list.ToArray();
    }

    public static AttributeValue Value(object? value) => value switch
    {
        string s => AttributeValue.Of(s),
        bool b => AttributeValue.Of(b),
        long l => AttributeValue.Of(l),
        int i => AttributeValue.Of((long)i),
        double d => AttributeValue.Of(d),
        string[] a => AttributeValue.Of(a),
        bool[] a => AttributeValue.Of(a),
        long[] a => AttributeValue.Of(a),
        double[] a => AttributeValue.Of(a),
        _ => AttributeValue.Of(value?.ToString()),
    };
}
