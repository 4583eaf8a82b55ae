using System;
using OtelGen.Sampling;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public class SamplerSpecTests
{
    [Fact]
    public void The_documented_example_parses()
    {
        SamplerSpec spec = SamplerSpec.Parse("head:0.02,tail:error|p99|promoted");
        Assert.Equal(0.02, spec.HeadRatio);
        Assert.Equal(TailPolicies.Error | TailPolicies.P99 | TailPolicies.Promoted, spec.Tail);
        Assert.Equal("head:0.02,tail:error|p99|promoted", spec.ToString());
    }

    [Fact]
    public void Names_are_case_insensitive_and_spaces_are_ignored()
    {
        SamplerSpec spec = SamplerSpec.Parse(" TAIL: Error | P95 , Head : 1 ");
        Assert.Equal(1.0, spec.HeadRatio);
        Assert.Equal(TailPolicies.Error | TailPolicies.P95, spec.Tail);
    }

    [Fact]
    public void Either_part_may_be_left_out()
    {
        Assert.Null(SamplerSpec.Parse("tail:promoted").HeadRatio);
        Assert.Equal(TailPolicies.None, SamplerSpec.Parse("head:0").Tail);
    }

    [Theory]
    [InlineData("head:0.02,tail:error|p90", "'p90'", SamplerSpec.ValidPolicies)]
    [InlineData("tail:error|", "''", SamplerSpec.ValidPolicies)]
    [InlineData("tail:", "''", SamplerSpec.ValidPolicies)]
    [InlineData("head:2", "'2'", "between 0 and 1")]
    [InlineData("head:-0.1", "'-0.1'", "between 0 and 1")]
    [InlineData("head:abc,tail:error", "'abc'", "between 0 and 1")]
    [InlineData("head:NaN", "'NaN'", "between 0 and 1")]
    [InlineData("body:1,tail:error", "'body:1'", SamplerSpec.ValidParts)]
    [InlineData("error", "'error'", SamplerSpec.ValidParts)]
    [InlineData("head:0.1,,tail:error", "''", SamplerSpec.ValidParts)]
    [InlineData("head:0.1,head:0.2", "'head:0.2'", SamplerSpec.ValidParts)]
    [InlineData("tail:error,tail:p99", "'tail:p99'", SamplerSpec.ValidParts)]
    [InlineData("  ", "empty", SamplerSpec.ValidParts)]
    public void A_bad_spec_fails_naming_the_bad_token_and_the_valid_ones(string text, string badToken, string validOnes)
    {
        Assert.False(SamplerSpec.TryParse(text, out SamplerSpec? spec, out string? error));
        Assert.Null(spec);
        Assert.Contains(badToken, error);
        Assert.Contains(validOnes, error);
        FormatException thrown = Assert.Throws<FormatException>(() => SamplerSpec.Parse(text));
        Assert.Equal(error, thrown.Message);
    }
}
