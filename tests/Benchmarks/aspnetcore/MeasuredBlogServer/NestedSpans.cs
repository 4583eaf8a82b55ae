using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OtelGen;

namespace OtelGen.Benchmarks.AspNetCore;

/// <summary>
/// <c>GET /bench/nested/{n}</c>: a request whose span tree is the SERVER span and <c>n</c> nested async spans,
/// the innermost of which yields, so that every level resumes as a continuation (as an async server's code
/// does). CPU per request against <c>n</c> gives the cost of one async span; tests/ServerComparison maps the same
/// route with an ActivitySource.
/// </summary>
public static class NestedSpans
{
    /// <summary>The deepest tree the route makes (a bound on the work one request can ask for).</summary>
    public const int MaxDepth = 200;

    /// <summary>Maps the route.</summary>
    public static WebApplication MapNestedSpans(this WebApplication app)
    {
        app.MapGet("/bench/nested/{n:int}", async (int n) =>
            n is < 1 or > MaxDepth ? Results.BadRequest($"n is 1..{MaxDepth}") : Results.Text((await LevelAsync(n)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return app;
    }

    /// <summary>One level: a span around the next level's call; the last level yields once.</summary>
    [Traced("nested")]
    public static async Task<int> LevelAsync(int depth)
    {
        if (depth <= 1)
        {
            await Task.Yield();
            return 1;
        }
        return 1 + await LevelAsync(depth - 1);
    }
}
