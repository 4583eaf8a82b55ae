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
    [InlineData("a=1,a=2", null)]
    [InlineData("a=", null)]
    public void Tracestate_is_validated_and_normalized(string header, string? expected)
    {
        Assert.Equal(expected, TraceStateHeader.TryNormalize(header, out string? normalized) ? normalized : null);
    }

    [Fact]
    public void Baggage_round_trips_with_percent_encoding_and_drops_malformed_members()
    {
        Baggage baggage = BaggageHeader.Parse("user=alice%20b, bad member, tier=gold;prop=1");
        Assert.Equal("alice b", baggage.Get("user"));
        Assert.Equal("gold", baggage.Get("tier"));
        Assert.Equal(2, baggage.Count);
        Assert.Equal("user=alice%20b,tier=gold", BaggageHeader.Format(baggage));
    }

    [Fact]
    public void Baggage_over_the_member_limit_is_dropped_and_counted()
    {
        long dropped = BaggageHeader.DroppedEntries;
        var members = new string[BaggageHeader.MaxMembers + 5];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = "k" + i + "=v";
        }
        Baggage baggage = BaggageHeader.Parse(string.Join(",", members));
        Assert.Equal(BaggageHeader.MaxMembers, baggage.Count);
        Assert.Equal(dropped + 5, BaggageHeader.DroppedEntries);
    }
}
