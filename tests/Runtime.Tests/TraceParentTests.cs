using System.Linq;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests;

public class TraceParentTests
{
    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", true)]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", true)]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", false)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false)]
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01", false)]
    [InlineData("00-0af7651916cd43dd-448eb211c80319c-b7ad6b7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033g1-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x", false)]
    [InlineData("0a-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 ", true)]
    [InlineData("00-0af7651916cd43dd 448eb211c80319c-b7ad6b7169203331-01", false)]
    [InlineData("garbage", false)]
    public void Parses_per_the_W3C_rules(string header, bool valid)
    {
        Assert.Equal(valid, TraceParent.TryParse(header, null, out SpanContext context));
        if (valid)
        {
            Assert.True(context.IsRemote);
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        }
    }

    [Fact]
    public void Formats_what_it_parses()
    {
        var context = new SpanContext(new TraceId(0x0af7651916cd43dd, 0x8448eb211c80319c), new SpanId(0xb7ad6b7169203331), 1);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TraceParent.Format(context));
    }

    [Theory]
    [InlineData("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")]
    [InlineData(" congo=1 , ,rojo=2", "congo=1,rojo=2")]
    [InlineData("tenant@system=1", "tenant@system=1")]
    [InlineData("Upper=1", null)]
    [InlineData("a=1,a=2", "a=1")]
    [InlineData("a=", null)]
    [InlineData("congo=1,\trojo=2\t,", "congo=1,rojo=2")]
    [InlineData(" a=1, a=2", "a=1")]
    [InlineData("=1", null)]
    [InlineData("a=1,,", "a=1")]
    [InlineData(" , ", null)]
    [InlineData("@system=1", null)]
    [InlineData("tenant@=1", "tenant@=1")]
    [InlineData("1tenant@system=1", "1tenant@system=1")]
    [InlineData("a=b=c", null)]
    [InlineData("a=x\u0001", null)]
    public void Tracestate_is_validated_and_normalized(string header, string? expected)
    {
        Assert.Equal(expected, TraceStateHeader.TryNormalize(header, out string? normalized) ? normalized : null);
    }

    [Fact]
    public void Tracestate_of_32_members_is_kept_and_of_33_dropped()
    {
        string members = string.Join(",", System.Linq.Enumerable.Range(0, 32).Select(i => "k" + i + "=v"));
        Assert.True(TraceStateHeader.TryNormalize(members, out string? kept));
        Assert.Equal(members, kept);
        Assert.False(TraceStateHeader.TryNormalize(members + ",k32=v", out _));
    }

    [Fact]
    public void A_valid_traceparent_and_an_already_normal_tracestate_are_parsed_without_allocating()
    {
        const string header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        const string state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
        TraceParent.TryParse(header, state, out _);
        long before = System.GC.GetAllocatedBytesForCurrentThread();
        bool parsed = TraceParent.TryParse(header, state, out SpanContext context);
        long allocated = System.GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(parsed);
        Assert.Same(state, context.TraceState);
        Assert.Equal(0, allocated);
    }
}
