using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Logging.Tests;

/// <summary>
/// A real LoggerFactory with a real provider that takes the factory's scopes (ISupportExternalScope): what it is
/// given inside OtelGen spans, under each ActivityTrackingOptions.
/// </summary>
public sealed class ScopeTests
{
    private const ActivityTrackingOptions Host = ActivityTrackingOptions.SpanId | ActivityTrackingOptions.TraceId | ActivityTrackingOptions.ParentId;
    private const ActivityTrackingOptions AllIds = Host | ActivityTrackingOptions.TraceState | ActivityTrackingOptions.TraceFlags;
    private const string RemoteParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string RemoteState = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";

    private static (ILoggerFactory Factory, CapturingProvider Provider) WithOtelGen(Action<ILoggingBuilder>? after = null)
    {
        var provider = new CapturingProvider();
        ILoggerFactory factory = LoggerFactory.Create(logging =>
        {
            logging.AddOtelGen().AddProvider(provider);
            after?.Invoke(logging);
        });
        return (factory, provider);
    }

    private static (ILoggerFactory Factory, CapturingProvider Provider) DotNetOnly(ActivityTrackingOptions options)
    {
        var provider = new CapturingProvider();
        return (LoggerFactory.Create(logging => logging.Configure(o => o.ActivityTrackingOptions = options).AddProvider(provider)), provider);
    }

    private static void AssertIds(Seen line, SpanContext span, SpanId parent)
    {
        SeenScope ids = Assert.IsType<SeenScope>(line.Ids, exactMatch: false);
        Assert.Equal(new[] { "SpanId", "TraceId", "ParentId" }, ids.Keys);
        Assert.Equal(span.SpanId.ToHexString(), ids["SpanId"]);
        Assert.Equal(span.TraceId.ToHexString(), ids["TraceId"]);
        Assert.Equal(parent.ToHexString(), ids["ParentId"]);
        Assert.Equal($"SpanId:{span.SpanId.ToHexString()}, TraceId:{span.TraceId.ToHexString()}, ParentId:{parent.ToHexString()}", ids.Text);
    }

    [Fact]
    public void By_default_a_line_inside_a_span_carries_its_SpanId_TraceId_and_ParentId()
    {
        // LoggerFactory.Create leaves ActivityTrackingOptions at None: AddOtelGen turns on what hosts turn on.
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen();
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            (SpanContext outer, SpanContext inner) = Work.Nested(log);

            SpanRecord outerSpan = Recorded.Span(outer);
            SpanRecord innerSpan = Recorded.Span(inner);
            Assert.Equal(outer.SpanId, innerSpan.ParentSpanId);
            AssertIds(provider.Single("outer before"), outer, outerSpan.ParentSpanId);
            AssertIds(provider.Single("inner"), inner, outer.SpanId);
            AssertIds(provider.Single("outer after"), outer, outerSpan.ParentSpanId);
        }
    }

    [Fact]
    public void Host_options_give_the_ids_then_the_users_scopes_in_order()
    {
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen(logging => logging.Configure(o => o.ActivityTrackingOptions = Host));
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            SpanContext span;
            using (log.BeginScope("order {OrderId}", 42))
            using (log.BeginScope("step"))
            {
                span = Work.Log(log, "scoped");
            }

            Seen line = provider.Single("scoped");
            Assert.Equal(3, line.Scopes.Count);
            AssertIds(line, span, Recorded.Span(span).ParentSpanId);
            Assert.Same(line.Ids, line.Scopes[0]);
            Assert.Equal("order 42", line.Scopes[1].Text);
            Assert.Equal(42, line.Scopes[1]["OrderId"]);
            Assert.Equal("step", line.Scopes[2].Text);
        }
    }

    [Fact]
    public void Every_id_field_has_dotnets_key_order_value_type_and_text()
    {
        // .NET's own provider, for an Activity that continues RemoteParent with RemoteState.
        (ILoggerFactory dotnetFactory, CapturingProvider dotnet) = DotNetOnly(AllIds);
        string dotnetSpan;
        using (dotnetFactory)
        {
            var activity = new Activity("request").SetParentId(RemoteParent);
            activity.TraceStateString = RemoteState;
            activity.Start();
            dotnetSpan = activity.SpanId.ToHexString();
            dotnetFactory.CreateLogger("test").LogInformation("line");
            activity.Stop();
        }

        // OtelGen, for a span that continues the same context.
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen(logging => logging.Configure(o => o.ActivityTrackingOptions = AllIds));
        SpanContext span;
        using (factory)
        using (TraceContext.Continue(RemoteParent, RemoteState))
        {
            span = Work.Log(factory.CreateLogger("test"), "line");
        }

        SeenScope theirs = dotnet.Single("line").Scopes[0];
        SeenScope ours = Assert.IsType<SeenScope>(provider.Single("line").Ids, exactMatch: false);
        Assert.Same(ours, provider.Single("line").Scopes[0]);
        Assert.Equal(new[] { "SpanId", "TraceId", "ParentId", "TraceState", "TraceFlags" }, theirs.Keys);
        Assert.Equal(theirs.Keys, ours.Keys);
        Assert.Equal(theirs.Items!.Select(i => i.Value?.GetType()), ours.Items!.Select(i => i.Value?.GetType()));
        Assert.Equal(span.SpanId.ToHexString(), ours["SpanId"]);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", ours["TraceId"]);
        Assert.Equal("b7ad6b7169203331", ours["ParentId"]);
        Assert.Equal(RemoteState, ours["TraceState"]);
        Assert.Equal(ActivityTraceFlags.Recorded, ours["TraceFlags"]);
        Assert.Equal(theirs.Text!.Replace(dotnetSpan, span.SpanId.ToHexString()), ours.Text);
        Assert.Equal($"SpanId:{span.SpanId.ToHexString()}, TraceId:0af7651916cd43dd8448eb211c80319c, ParentId:b7ad6b7169203331, TraceState:{RemoteState}, TraceFlags:Recorded", ours.Text);
    }

    [Fact]
    public void With_an_Activity_and_no_OtelGen_span_the_scopes_are_exactly_dotnets()
    {
        const ActivityTrackingOptions everything = AllIds | ActivityTrackingOptions.Tags | ActivityTrackingOptions.Baggage;
        foreach (ActivityIdFormat format in new[] { ActivityIdFormat.W3C, ActivityIdFormat.Hierarchical })
        {
            foreach (ActivityTrackingOptions options in new[] { Host, AllIds, everything, ActivityTrackingOptions.TraceId })
            {
                (ILoggerFactory dotnetFactory, CapturingProvider dotnet) = DotNetOnly(options);
                (ILoggerFactory factory, CapturingProvider ours) = WithOtelGen(logging => logging.Configure(o => o.ActivityTrackingOptions = options));
                using (dotnetFactory)
                using (factory)
                {
                    var activity = new Activity("plain");
                    activity.SetIdFormat(format);
                    activity.AddTag("db.system.name", "postgresql").AddTag("attempt", 2).AddBaggage("tenant", "acme");
                    activity.Start();
                    dotnetFactory.CreateLogger("test").LogInformation("line");
                    factory.CreateLogger("test").LogInformation("line");
                    activity.Stop();
                }

                Seen theirs = dotnet.Single("line");
                Seen mine = ours.Single("line");
                Assert.True(theirs.Scopes.Count > 0, $"{format} {options}: .NET gave no scope");
                Assert.Equal(theirs.Scopes.Select(s => s.Text), mine.Scopes.Select(s => s.Text));
                for (int i = 0; i < theirs.Scopes.Count; i++)
                {
                    Assert.Equal(theirs.Scopes[i].Items?.ToList(), mine.Scopes[i].Items?.ToList());
                }
            }
        }
    }

    [Fact]
    public void None_set_after_AddOtelGen_leaves_only_the_users_scopes()
    {
        (ILoggerFactory onFactory, CapturingProvider on) = WithOtelGen();
        (ILoggerFactory offFactory, CapturingProvider off) = WithOtelGen(logging => logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None));
        using (onFactory)
        using (offFactory)
        {
            ILogger onLog = onFactory.CreateLogger("test");
            ILogger offLog = offFactory.CreateLogger("test");
            using (onLog.BeginScope("user"))
            using (offLog.BeginScope("user"))
            {
                Work.Around(() =>
                {
                    onLog.LogInformation("line");
                    offLog.LogInformation("line");
                });
            }
        }

        Assert.NotNull(on.Single("line").Ids);
        Seen line = off.Single("line");
        Assert.Equal(new[] { "user" }, line.Scopes.Select(s => s.Text));
    }

    [Fact]
    public void A_library_Activity_started_inside_the_span_wins_until_it_stops()
    {
        const string sourceName = "OtelGen.Logging.Tests.Library";
        // OtelGen records the library's Activities (as OTELGEN_ACTIVITY_SOURCES would), so they join its trace.
        Tracing.RecordActivities(sourceName);
        using var source = new ActivitySource(sourceName);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == sourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen();
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            (SpanContext span, Activity? library) = Work.WithLibraryActivity(log, source);
            log.LogInformation("after the span");

            Assert.NotNull(library);
            SpanId parent = Recorded.Span(span).ParentSpanId;
            AssertIds(provider.Single("span before"), span, parent);
            // Inside the library's Activity: its span id, in OtelGen's trace, child of OtelGen's span.
            Seen inside = provider.Single("library");
            Assert.Equal(library!.SpanId.ToHexString(), inside.Ids!["SpanId"]);
            Assert.Equal(span.TraceId.ToHexString(), inside.Ids["TraceId"]);
            Assert.Equal(span.SpanId.ToHexString(), inside.Ids["ParentId"]);
            AssertIds(provider.Single("span after"), span, parent);
            Assert.Null(provider.Single("after the span").Ids);
        }
    }

    [Fact]
    public void An_Activity_that_stands_in_for_the_span_gives_the_spans_own_scope()
    {
        // HttpClient's Activity when nobody records it: OtelGen gives it the span's own ids, so whatever sends it
        // sends an exported span. A line logged inside it is the span's line, ParentId included.
        using var http = new ActivitySource("System.Net.Http");
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen();
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            Activity? standIn = null;
            SpanContext span = default;
            SpanContext outer = Work.Around(() => span = Work.Around(() =>
            {
                standIn = http.StartActivity("System.Net.Http.HttpRequestOut");
                log.LogInformation("inside the stand-in");
                standIn?.Stop();
            }));

            Assert.NotNull(standIn);
            Assert.Equal(outer.SpanId, Recorded.Span(span).ParentSpanId);
            Assert.Equal(span.SpanId.ToHexString(), standIn!.SpanId.ToHexString());
            AssertIds(provider.Single("inside the stand-in"), span, Recorded.Span(span).ParentSpanId);
        }
    }

    [Fact]
    public void After_a_span_ends_the_ids_go_back_to_the_outer_span_and_then_to_none()
    {
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen();
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            log.LogInformation("before");
            SpanContext first = Work.Log(log, "first");
            log.LogInformation("between");
            SpanContext second = Work.Log(log, "second");
            (SpanContext outer, SpanContext inner) = Work.Nested(log);
            log.LogInformation("after");

            Assert.Null(provider.Single("before").Ids);
            Assert.Null(provider.Single("between").Ids);
            Assert.Null(provider.Single("after").Ids);
            Assert.NotEqual(first.SpanId, second.SpanId);
            AssertIds(provider.Single("first"), first, Recorded.Span(first).ParentSpanId);
            AssertIds(provider.Single("second"), second, Recorded.Span(second).ParentSpanId);
            AssertIds(provider.Single("inner"), inner, outer.SpanId);
            AssertIds(provider.Single("outer after"), outer, Recorded.Span(outer).ParentSpanId);
        }
    }

    [Fact]
    public async Task Across_await_and_Task_Run_the_lines_carry_the_async_span()
    {
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen();
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            SpanContext span = await Work.AfterAwait(log);

            SpanId parent = Recorded.Span(span).ParentSpanId;
            AssertIds(provider.Single("after await"), span, parent);
            AssertIds(provider.Single("in Task.Run"), span, parent);
        }
    }

    [Fact]
    public void A_continued_remote_context_alone_gives_no_ids_and_a_span_inside_it_names_the_remote_parent()
    {
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen();
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            SpanContext span;
            using (TraceContext.Continue(RemoteParent, RemoteState))
            {
                log.LogInformation("remote only");
                span = Work.Log(log, "in span");
            }

            // The remote context is no span of this process (.NET gives nothing without an Activity).
            Assert.Null(provider.Single("remote only").Ids);
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString());
            AssertIds(provider.Single("in span"), span, SpanId.FromBytes(Convert.FromHexString("b7ad6b7169203331")));
        }
    }

    [Fact]
    public void Tags_are_the_spans_attributes_and_baggage_is_OtelGens()
    {
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen(logging => logging.Configure(o =>
            o.ActivityTrackingOptions = Host | ActivityTrackingOptions.Tags | ActivityTrackingOptions.Baggage));
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            SpanContext span;
            using (TraceContext.SetBaggage("tenant", "acme"))
            using (TraceContext.SetBaggage("region", "eu"))
            {
                span = Work.Tagged(log, 42);
            }

            Seen line = provider.Single("tagged");
            Assert.Equal(3, line.Scopes.Count);
            AssertIds(line, span, Recorded.Span(span).ParentSpanId);
            SeenScope tags = line.Scopes[1];
            Assert.Equal(42L, tags["order.id"]);
            Assert.Contains("order.id:42", tags.Text);
            Assert.Equal("tenant:acme, region:eu", line.Scopes[2].Text);
            // As .NET's baggage scope: pairs that structured providers read, text key:value.
            Assert.Equal(new KeyValuePair<string, object?>[] { new("tenant", "acme"), new("region", "eu") }, line.Scopes[2].Items);
        }
    }

    [Fact]
    public void A_scope_that_throws_is_left_out_and_the_line_is_still_written_with_the_rest()
    {
        (ILoggerFactory factory, CapturingProvider provider) = WithOtelGen();
        using (factory)
        {
            ILogger log = factory.CreateLogger("test");
            SpanContext span;
            using (log.BeginScope("outer"))
            using (log.BeginScope(new Throwing()))
            using (log.BeginScope("inner"))
            {
                span = Work.Log(log, "line");
            }

            Seen line = provider.Single("line");
            AssertIds(line, span, Recorded.Span(span).ParentSpanId);
            Assert.Equal(new[] { "outer", "inner" }, line.Scopes.Skip(1).Select(s => s.Text));
        }
    }

    private sealed class Throwing
    {
        public override string ToString() => throw new InvalidOperationException("a scope state that cannot be shown");
    }
}
