using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen.Folds;
using OtelGen.Metrics;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.Folds.SampleSpans;

namespace OtelGen.Runtime.Tests.Folds;

public class HistogramTests
{
    private static double Exact(double[] sorted, double q) => sorted[(int)Math.Clamp(Math.Ceiling(q * sorted.Length), 1, sorted.Length) - 1];

    public static IEnumerable<object[]> Data()
    {
        var random = new Random(42);
        // Log-normal latencies around 20 ms: a factor of about 2^10 between the extremes.
        yield return new object[] { "lognormal", Enumerable.Range(0, 100_000).Select(_ => Math.Exp(Math.Log(0.02) + 0.8 * Gaussian(random))).ToArray() };
        // Uniform 1 µs .. 10 s: a factor of 2^23, so the histogram must downscale.
        yield return new object[] { "wide", Enumerable.Range(0, 50_000).Select(_ => Math.Pow(10, -6 + 7 * random.NextDouble())).ToArray() };
        // Few distinct values, with exact powers of two (bucket edges).
        yield return new object[] { "edges", Enumerable.Range(0, 1000).Select(i => Math.Pow(2, i % 7 - 3)).ToArray() };
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Theory]
    [MemberData(nameof(Data))]
    public void Percentiles_are_within_the_stated_relative_error_of_the_exact_values(string name, double[] values)
    {
        var histogram = new Base2ExponentialHistogram();
        foreach (double v in values)
        {
            histogram.Record(v);
        }
        double[] sorted = values.OrderBy(v => v).ToArray();
        Assert.Equal(values.Length, histogram.Count);
        Assert.True(histogram.GetBucketCounts(true, out _).Length <= 160, name);
        Assert.Equal(values.Length, histogram.GetBucketCounts(true, out _).Sum());
        foreach (double q in new[] { 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999 })
        {
            double exact = Exact(sorted, q);
            double estimate = histogram.Quantile(q);
            double error = Math.Abs(estimate - exact) / exact;
            Assert.True(error <= histogram.RelativeError * 1.000001,
                $"{name} q={q}: exact {exact}, estimate {estimate}, error {error:P3} > {histogram.RelativeError:P3} at scale {histogram.Scale}");
        }
        Assert.Equal(sorted[0], histogram.Quantile(0));
        Assert.Equal(sorted[^1], histogram.Quantile(1));
        Assert.Equal(values.Sum(), histogram.Sum, 6);
    }

    [Fact]
    public void Scale_adapts_to_the_range_and_the_error_bound_follows()
    {
        var narrow = new Base2ExponentialHistogram();
        for (int i = 1; i <= 1000; i++)
        {
            narrow.Record(0.001 * i); // 1 ms .. 1 s: factor 1000 < 2^10
        }
        Assert.Equal(4, narrow.Scale);
        Assert.InRange(narrow.RelativeError, 0.0218, 0.0220);

        var wide = new Base2ExponentialHistogram();
        wide.Record(1e-6);
        wide.Record(1.0); // factor 2^20
        Assert.Equal(3, wide.Scale);
        Assert.InRange(wide.RelativeError, 0.0442, 0.0443);
    }

    [Fact]
    public void Indexes_follow_the_OpenTelemetry_bucket_definition()
    {
        // Bucket i holds (base^i, base^(i+1)]: a power of two is the upper edge of the bucket below.
        Assert.Equal(-1, Base2ExponentialHistogram.MapToIndex(1.0, 0));
        Assert.Equal(0, Base2ExponentialHistogram.MapToIndex(1.5, 0));
        Assert.Equal(0, Base2ExponentialHistogram.MapToIndex(2.0, 0));
        Assert.Equal(0, Base2ExponentialHistogram.MapToIndex(4.0, -1));
        Assert.Equal(1, Base2ExponentialHistogram.MapToIndex(5.0, -1));
        Assert.Equal(7, Base2ExponentialHistogram.MapToIndex(2.0, 3));
        Assert.Equal(8, Base2ExponentialHistogram.MapToIndex(2.01, 3));
        for (int scale = -3; scale <= 8; scale++)
        {
            for (double v = 1e-4; v < 1e4; v *= 1.37)
            {
                int index = Base2ExponentialHistogram.MapToIndex(v, scale);
                Assert.True(Base2ExponentialHistogram.LowerBoundary(index, scale) < v * (1 + 1e-12), $"{v} at scale {scale}");
                Assert.True(Base2ExponentialHistogram.LowerBoundary(index + 1, scale) >= v * (1 - 1e-12), $"{v} at scale {scale}");
            }
        }
    }

    [Fact]
    public void Zero_and_negative_values_are_counted_in_order()
    {
        var h = new Base2ExponentialHistogram();
        foreach (double v in new[] { -4.0, -1.0, 0, 0, 2, 8, double.NaN })
        {
            h.Record(v);
        }
        Assert.Equal(6, h.Count);
        Assert.Equal(2, h.ZeroCount);
        Assert.Equal(-4.0, h.Quantile(0));
        Assert.InRange(h.Quantile(0.3), -1.0 * (1 + h.RelativeError), -1.0 * (1 - h.RelativeError));
        Assert.Equal(0, h.Quantile(0.5));
        Assert.Equal(8, h.Quantile(1));
        Assert.Equal(2, h.GetBucketCounts(false, out _).Sum());
    }

    [Fact]
    public void Route_aggregates_count_requests_errors_and_percentiles_per_route()
    {
        var spans = new List<SpanRecord>();
        ulong id = 1;
        for (int i = 1; i <= 200; i++)
        {
            var trace = new TraceId(7, (ulong)i);
            var s = Span(trace, id++, 0, "GET /posts/{id}", 0, i, ActivityKind.Server, i % 10 == 0 ? SpanStatusCode.Error : SpanStatusCode.Unset);
            s.SetAttribute("http.route", "/posts/{id}");
            s.SetAttribute("http.request.method", "GET");
            spans.Add(s);
            spans.Add(Span(trace, id++, s.SpanId.Value, "db", 0, 1, ActivityKind.Client)); // not an entry span
        }
        spans.Add(Span(new TraceId(8, 1), id++, 0, "nightly-cleanup", 0, 5000));

        RouteAggregates aggregates = RouteAggregates.Of(TraceForest.Build(spans));

        Assert.Equal(new[] { "/posts/{id}", "nightly-cleanup" }, aggregates.Routes.Select(r => r.Route));
        RouteStats posts = aggregates.Get("/posts/{id}")!;
        Assert.Equal(200, posts.Count);
        Assert.Equal(20, posts.ErrorCount);
        Assert.Equal("GET", posts.Method);
        double e = posts.Latency.RelativeError;
        Assert.InRange(posts.P50, 0.100 * (1 - e), 0.100 * (1 + e));
        Assert.InRange(posts.P95, 0.190 * (1 - e), 0.190 * (1 + e));
        Assert.InRange(posts.P99, 0.198 * (1 - e), 0.198 * (1 + e));
        Assert.Equal(1, aggregates.Get("nightly-cleanup")!.Count);
    }
}
