using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OtelGen.Benchmarks.AspNetCore;

/// <summary>
/// What the measuring scripts (load-check.sh, allocation-check.sh, profile-check.sh, instruction-check.sh)
/// read from a running server. Also compiled into tests/ServerComparison.
/// </summary>
public static class MeasuringEndpoints
{
    /// <summary>Maps <c>/debug/allocated</c>, <c>/debug/collections</c> and <c>POST /debug/tracing/{on|off}</c>.</summary>
    public static WebApplication MapMeasuringEndpoints(this WebApplication app)
    {
        // Bytes allocated so far, read around each measurement (allocations per request).
        app.MapGet("/debug/allocated", () => Results.Text(System.GC.GetTotalAllocatedBytes(precise: false).ToString(CultureInfo.InvariantCulture)));
        // Switches recording on or off without a restart (load-check.sh's in-process mode), so that both
        // modes are measured in one process (same JIT state, heap and thread pool).
        app.MapPost("/debug/tracing/{state}", (string state) =>
        {
            if (state == "on") { OtelGen.Tracing.Enable(); } else if (state == "off") { OtelGen.Tracing.Disable(); } else { return Results.BadRequest("on or off"); }
            return Results.Text(state);
        });
        // Collections so far by generation and the time paused ("gen0 gen1 gen2 pause_ms N"): collections per request, beside the bytes.
        app.MapGet("/debug/collections", () => Results.Text(System.GC.CollectionCount(0) + " " + System.GC.CollectionCount(1) + " " + System.GC.CollectionCount(2) + " pause_ms " + (long)System.GC.GetTotalPauseDuration().TotalMilliseconds));
        return app;
    }
}
