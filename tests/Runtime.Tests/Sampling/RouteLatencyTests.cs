using System;
using OtelGen.Sampling;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public class RouteLatencyTests
{
    [Fact]
    public void Quantiles_land_within_a_bucket_of_the_true_value()
    {
        var latency = new RouteLatency(window: 10_000);
        for (long us = 1; us <= 1000; us++)
        {
            latency.Add(us * 1000);
        }
        // Buckets are 2^(1/8) wide (about 9%): the estimate is the bucket's upper bound.
        Assert.InRange(latency.Quantile(0.5), 500_000, 500_000 * 1.1);
        Assert.InRange(latency.Quantile(0.99), 990_000, 990_000 * 1.1);
        Assert.Equal(1000, latency.Count);
    }

    [Fact]
    public void An_empty_estimate_calls_nothing_slow()
    {
        Assert.Equal(long.MaxValue, new RouteLatency().Quantile(0.99));
    }

    [Fact]
    public void Old_samples_fade_after_two_windows()
    {
        var latency = new RouteLatency(window: 100);
        for (int i = 0; i < 100; i++)
        {
            latency.Add(1_000_000_000);
        }
        Assert.True(latency.Quantile(0.5) >= 1_000_000_000);
        for (int i = 0; i < 200; i++)
        {
            latency.Add(1_000_000);
        }
        Assert.InRange(latency.Quantile(0.99), 1_000_000, 1_100_000);
        Assert.Equal(200, latency.Count);
    }

    [Fact]
    public void Bucket_bounds_are_increasing_and_contain_their_values()
    {
        foreach (long nanos in new long[] { 2, 3, 1000, 999_999, 1_000_000, 123_456_789, 10_000_000_000 })
        {
            int bucket = RouteLatency.BucketOf(nanos);
            Assert.True(RouteLatency.UpperBound(bucket) > nanos);
            Assert.True(bucket == 0 || RouteLatency.UpperBound(bucket - 1) <= nanos);
        }
        Assert.Equal(long.MaxValue, RouteLatency.UpperBound(RouteLatency.BucketOf(long.MaxValue)));
    }
}
