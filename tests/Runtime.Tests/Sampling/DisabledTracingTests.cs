using System;
using System.Diagnostics;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public sealed class DisabledTracingTests : IDisposable
{
    private static readonly SpanDescriptor s_site = new("Orders.Load", ActivityKind.Internal);

    public void Dispose() => Tracing.Enable();

    private static int Load(int id) => id * 2;

    // The shape generated interceptors take: one branch when tracing is off.
    private static int LoadTraced(int id)
    {
        if (!Tracing.IsEnabled)
        {
            return Load(id);
        }
        using SpanScope scope = SpanScope.Start(s_site);
        return Load(id);
    }

    [Fact]
    public void Disabled_tracing_records_nothing_and_allocates_nothing()
    {
        Tracing.Disable();
        Assert.False(Tracing.IsEnabled);
        long written = Tracing.Ring.Written;
        for (int i = 0; i < 100; i++)
        {
            LoadTraced(i);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            sum += LoadTraced(i);
            using SpanScope fromCode = Tracing.StartSpan("from-code");
            Assert.False(fromCode.IsRecording);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(2L * (9_999L * 10_000 / 2), sum);
        Assert.Equal(written, Tracing.Ring.Written);
        Assert.False(TraceContext.Current.IsValid);
    }

    [Fact]
    public void Enabling_again_records_again()
    {
        Tracing.Disable();
        Tracing.Enable();
        long written = Tracing.Ring.Written;
        LoadTraced(1);
        Assert.Equal(written + 1, Tracing.Ring.Written);
    }
}
