using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using OtelGen.Folds;
using OtelGen.Spans;

namespace OtelGen.Benchmarks;

/// <summary>
/// A request's SERVER span as ASP.NET Core makes it (the request attributes, status, end into the ring)
/// with the dashboard's live route numbers started, as in an app that maps the dashboard: on one thread,
/// and on two threads at once, where the route count's synchronization shows. Run:
/// dotnet run -c Release --project tests/Benchmarks -- --filter '*ServerSpanBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class ServerSpanBenchmarks
{
    private const int PerThread = 20_000;

    private static readonly HttpServerRequest Request = new()
    {
        Method = "GET",
        Route = "/blogs/posts/{id}",
        Scheme = "http",
        Path = "/blogs/posts/1",
        ServerAddress = "127.0.0.1",
        ServerPort = 5080,
        ClientAddress = "127.0.0.1",
        ProtocolVersion = "1.1",
    };

    [GlobalSetup]
    public void Setup()
    {
        Tracing.Enable();
        LiveRouteAggregates.Start();
    }

    [Benchmark(Baseline = true, Description = "SERVER span, route counted live")]
    public void OneThread() => Request1();

    [Benchmark(Description = "SERVER span, route counted live, 2 threads at once", OperationsPerInvoke = 2 * PerThread)]
    public void TwoThreads() => Parallel.Invoke(Many, Many);

    private static void Many()
    {
        for (int i = 0; i < PerThread; i++)
        {
            Request1();
        }
    }

    private static void Request1()
    {
        HttpServerSpan span = HttpServerSpan.Start(Request);
        span.SetStatusCode(200);
        span.End();
    }
}
