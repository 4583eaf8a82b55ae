using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Npgsql;
using OtelGen;
using OtelGen.Samples.Workflow;

namespace OtelGen.Benchmarks;

/// <summary>
/// The workflow sample's claim loop (claim with SKIP LOCKED, mark running, run a trivial function, report
/// the result: four statements against a real PostgreSQL) with tracing on and off, in one run.
/// Needs the server from .ci/postgres.sh (or OTELGEN_TEST_PG). Run by hand:
/// <c>dotnet run -c Release --project tests/Benchmarks -- --filter '*WorkflowClaimLoop*' --job short</c>
/// </summary>
[InvocationCount(1)]
public class WorkflowClaimLoopBenchmarks
{
    private const int Executions = 500;
    private readonly string _database = "otelgen_bench_" + Guid.NewGuid().ToString("N")[..12];
    private string _server = "";
    private ExecutionStore _store = null!;
    private Worker _worker = null!;

    /// <summary>Tracing on (spans recorded into the ring) or off (OTEL_SDK_DISABLED, one branch per site).</summary>
    [Params(false, true)]
    public bool Tracing { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = Environment.GetEnvironmentVariable("OTELGEN_TEST_PG") is { Length: > 0 } pg ? pg : "Host=127.0.0.1;Port=54329;Username=postgres;Database=postgres";
        Execute(_server, $"CREATE DATABASE \"{_database}\"");
        _store = new ExecutionStore(new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString);
        _store.CreateSchemaAsync().GetAwaiter().GetResult();
        _worker = new Worker(_store, new WorkerOptions { Queue = "bench" })
            .Register("noop", "run", static (_, _) => Task.FromResult<string?>(null));
        _worker.HeartbeatAsync().GetAwaiter().GetResult();
        if (Tracing) { OtelGen.Tracing.Enable(); } else { OtelGen.Tracing.Disable(); }
    }

    [IterationSetup]
    public void Enqueue()
    {
        // A fresh table each iteration (no dead tuples piling up across iterations), rows created
        // untraced in one statement: only the claim loop is measured.
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"TRUNCATE executions; INSERT INTO executions (type, queue) SELECT 'noop', 'bench' FROM generate_series(1, {Executions})", connection);
        command.ExecuteNonQuery();
    }

    [Benchmark(OperationsPerInvoke = Executions, Description = "claim loop, per execution")]
    public async Task ClaimLoop()
    {
        while (await _worker.RunOnceAsync().ConfigureAwait(false))
        {
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        OtelGen.Tracing.Enable();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        NpgsqlConnection.ClearAllPools();
        Execute(_server, $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)");
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
