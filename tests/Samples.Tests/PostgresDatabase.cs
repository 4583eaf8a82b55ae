using System;
using System.Threading.Tasks;
using Npgsql;
using Xunit;

namespace OtelGen.Samples.Tests;

/// <summary>
/// A throwaway database on the test PostgreSQL server (env OTELGEN_TEST_PG): created with a random name
/// for one test class, dropped after it.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    /// <summary>The server the tests use unless OTELGEN_TEST_PG says otherwise (.ci/postgres.sh starts it).</summary>
    public const string DefaultServer = "Host=127.0.0.1;Port=54329;Username=postgres;Database=postgres";

    private string? _connectionString;

    /// <summary>The server connection string (its maintenance database).</summary>
    public static string Server => Environment.GetEnvironmentVariable("OTELGEN_TEST_PG") is { Length: > 0 } configured ? configured : DefaultServer;

    /// <summary>The database's name.</summary>
    public string Name { get; } = "otelgen_test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The connection string of the test database.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("the database is not created yet");

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        await using NpgsqlConnection server = await OpenServerAsync(Server);
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", server))
        {
            await create.ExecuteNonQueryAsync();
        }
        _connectionString = new NpgsqlConnectionStringBuilder(Server) { Database = Name, Pooling = true }.ConnectionString;
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_connectionString is null)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await using NpgsqlConnection server = await OpenServerAsync(Server);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", server);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Opens a connection to the server, or fails saying how to start it.</summary>
    public static async Task<NpgsqlConnection> OpenServerAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at {builder.Host}:{builder.Port} ({ex.Message}). " +
                "Start the test server with `.ci/postgres.sh` (installs PostgreSQL if missing and listens on 127.0.0.1:54329), " +
                "or point OTELGEN_TEST_PG at a server where user may CREATE DATABASE.", ex);
        }
    }
}
