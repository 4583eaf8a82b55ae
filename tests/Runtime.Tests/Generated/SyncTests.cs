using System;
using System.Diagnostics;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Generated;

public class SyncSample
{
    private int _total;

    [Traced]
    public int Step(int x) { _total += x; return x; }

    [Traced]
    public int Outer(int x) => Step(x) + Step(x + 1);

    [Traced("sync.custom", Kind = ActivityKind.Server)]
    public void Custom() { }

    [Traced]
    public static int Twice(int x) => 2 * x;

    [Traced]
    public static int Fail(string message) => throw new InvalidOperationException(message);
}

public class SyncTests
{
    [Fact]
    public void A_static_call_records_a_span_named_type_dot_method_with_code_function_name()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal(14, SyncSample.Twice(7));
        SpanRecord span = Recorded.Single("SyncSample.Twice", before);
        Assert.Equal(ActivityKind.Internal, span.Kind);
        Assert.Equal("OtelGen.Runtime.Tests.Generated.SyncSample.Twice", Recorded.Attribute(span, "code.function.name").AsString());
        Assert.Equal(SpanStatusCode.Unset, span.StatusCode);
    }

    [Fact]
    public void Instance_calls_nest_synchronously()
    {
        long before = Tracing.Ring.Written;
        var sample = new SyncSample();
        Assert.Equal(11, sample.Outer(5));
        var spans = Recorded.Since(before);
        SpanRecord outer = Recorded.Single("SyncSample.Outer", before);
        var steps = spans.FindAll(s => s.Name == "SyncSample.Step");
        Assert.Equal(2, steps.Count);
        foreach (SpanRecord step in steps)
        {
            Assert.Equal(outer.TraceId, step.TraceId);
            Assert.Equal(outer.SpanId, step.ParentSpanId);
        }
    }

    [Fact]
    public void A_given_name_and_kind_are_used()
    {
        long before = Tracing.Ring.Written;
        new SyncSample().Custom();
        Assert.Equal(ActivityKind.Server, Recorded.Single("sync.custom", before).Kind);
    }

    [Fact]
    public void With_tracing_disabled_the_original_call_runs_and_nothing_is_recorded()
    {
        long before = Tracing.Ring.Written;
        Tracing.Disable();
        try
        {
            Assert.Equal(14, SyncSample.Twice(7));
            Assert.Equal(11, new SyncSample().Outer(5));
        }
        finally
        {
            Tracing.Enable();
        }
        Assert.Equal(before, Tracing.Ring.Written);
    }

    [Fact]
    public void An_exception_marks_the_span_error_and_is_rethrown_unchanged()
    {
        long before = Tracing.Ring.Written;
        var thrown = Assert.Throws<InvalidOperationException>(() => SyncSample.Fail("boom"));
        Assert.Equal("boom", thrown.Message);
        SpanRecord span = Recorded.Single("SyncSample.Fail", before);
        Assert.Equal(SpanStatusCode.Error, span.StatusCode);
        Assert.Equal("System.InvalidOperationException", Recorded.Attribute(span, "error.type").AsString());
        Assert.Equal(1, span.EventCount);
        Assert.Equal("exception", span.Events[0].Name);
    }
}
