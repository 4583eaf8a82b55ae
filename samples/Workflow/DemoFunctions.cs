using System;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using OtelGen;

namespace OtelGen.Samples.Workflow;

/// <summary>
/// The sample's functions: an order that fans out into a payment and a shipment (child executions in
/// the same trace), a step that fails, and a slow step that a killed worker leaves half done.
/// </summary>
public static class DemoFunctions
{
    /// <summary>Registers every demo function on <paramref name="worker"/>.</summary>
    public static Worker RegisterAll(Worker worker) => worker
        .Register("order", "process", ProcessOrderAsync)
        .Register("payment", "charge", ChargeAsync)
        .Register("shipping", "ship", ShipAsync)
        .Register("flaky", "explode", ExplodeAsync)
        .Register("slow", "run", SlowAsync);

    private static async Task<string?> ProcessOrderAsync(ExecutionRun run, CancellationToken cancellationToken)
    {
        using JsonDocument inputs = JsonDocument.Parse(run.Execution.InputsJson);
        decimal amount = inputs.RootElement.TryGetProperty("amount", out JsonElement a) ? a.GetDecimal() : 0m;
        string orderId = inputs.RootElement.TryGetProperty("order", out JsonElement o) ? o.GetString() ?? "?" : "?";
        decimal total = PriceWithTax(amount);
        long payment = await run.CreateChildAsync("payment", JsonSerializer.Serialize(new { order = orderId, total }), cancellationToken: cancellationToken);
        long shipment = await run.CreateChildAsync("shipping", JsonSerializer.Serialize(new { order = orderId }), cancellationToken: cancellationToken);
        return JsonSerializer.Serialize(new { order = orderId, total, payment, shipment });
    }

    // A helper of the user's own: with the generator it gets its own span, a child of order.process.
    // Internal, not private: an interceptor cannot reach a private method of a static class (OTG1004).
    [Traced("order.price_with_tax")]
    internal static decimal PriceWithTax(decimal amount) => Math.Round(amount * 1.2m, 2);

    private static Task<string?> ChargeAsync(ExecutionRun run, CancellationToken cancellationToken) =>
        Task.FromResult<string?>("{\"charged\":true}");

    private static async Task<string?> ShipAsync(ExecutionRun run, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return "{\"shipped\":true}";
    }

    private static Task<string?> ExplodeAsync(ExecutionRun run, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the flaky step failed");

    // Sleeps on its first attempt (long enough for a test to kill the worker), finishes on a re-run.
    private static async Task<string?> SlowAsync(ExecutionRun run, CancellationToken cancellationToken)
    {
        using JsonDocument inputs = JsonDocument.Parse(run.Execution.InputsJson);
        int sleepMs = inputs.RootElement.TryGetProperty("first_attempt_sleep_ms", out JsonElement s) ? s.GetInt32() : 0;
        if (run.Execution.Attempt == 1 && sleepMs > 0)
        {
            await Task.Delay(sleepMs, cancellationToken);
        }
        return $"{{\"attempt\":{run.Execution.Attempt}}}";
    }
}
