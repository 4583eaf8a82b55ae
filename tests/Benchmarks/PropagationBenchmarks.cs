using BenchmarkDotNet.Attributes;
using OtelGen.Context;

namespace OtelGen.Benchmarks;

/// <summary>
/// The W3C headers on every traced request: parsing an incoming <c>traceparent</c> (with and without a
/// <c>tracestate</c>) and formatting an outgoing one. Run:
/// dotnet run -c Release --project tests/Benchmarks -- --filter '*PropagationBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class PropagationBenchmarks
{
    private const string Header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private SpanContext _context;

    [GlobalSetup]
    public void Setup() => TraceParent.TryParse(Header, null, out _context);

    [Benchmark(Baseline = true, Description = "parse traceparent")]
    public SpanContext Parse()
    {
        TraceParent.TryParse(Header, null, out SpanContext context);
        return context;
    }

    [Benchmark(Description = "parse traceparent, tracestate of two members")]
    public SpanContext ParseWithState()
    {
        TraceParent.TryParse(Header, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", out SpanContext context);
        return context;
    }

    [Benchmark(Description = "format traceparent")]
    public string Format() => TraceParent.Format(_context);
}
