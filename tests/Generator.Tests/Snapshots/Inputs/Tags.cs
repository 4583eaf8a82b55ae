using System;
using System.Threading.Tasks;
using OtelGen;

namespace MyApp;

public enum Tier : byte { Free, Pro }

public sealed class Customer
{
    public override string ToString() => "customer";
}

public class Checkout
{
    [Traced(ReturnTag = "app.total")]
    public decimal Total(
        [Tag("app.items")] int items,
        [Tag("app.big")] ulong big,
        [Tag("app.ratio")] float ratio,
        [Tag("app.express")] bool express,
        [Tag("app.coupon")] string? coupon,
        [Tag("app.tier")] Tier tier,
        [Tag("app.tier_name", UseToString = true)] Tier tierName,
        [Tag("app.discount")] int? discount,
        [Tag("app.customer", UseToString = true)] Customer? customer,
        [Tag("app.when", UseToString = true)] DateTime when,
        [Tag("app.ids")] long[] ids,
        [Tag("app.sizes")] int[] sizes,
        [Tag("app.names")] string[] names,
        [Tag("app.notes")] string?[] notes,
        [Tag("app.weights")] float[] weights,
        Customer notTagged)
        => items * 2m;

    [Traced(ReturnTag = "app.count")]
    public Task<int> CountAsync([Tag("app.query")] string query) => Task.FromResult(query.Length);

    [Effect("db.get", Target = "orders", ReturnTag = "app.found")]
    public ValueTask<bool> ExistsAsync([Tag("db.query.parameter.id")] long id) => new(id > 0);

    [Traced]
    public bool TryParse([Tag("app.input")] string input, [Tag("app.parsed")] out int value) => int.TryParse(input, out value);

    [Traced]
    public int Length([Tag("app.text", UseToString = true)] ReadOnlySpan<char> text) => text.Length;
}

public static class Program
{
    public static async Task Run(Checkout checkout)
    {
        _ = checkout.Total(1, 2, 0.5f, true, null, Tier.Pro, Tier.Free, 3, new Customer(), DateTime.UnixEpoch,
            new long[] { 1 }, new[] { 2 }, new[] { "a" }, new string?[] { null }, new[] { 1.5f }, new Customer());
        _ = await checkout.CountAsync("q");
        _ = await checkout.ExistsAsync(5);
        _ = checkout.TryParse("12", out int parsed);
        _ = checkout.Length("abc".AsSpan());
    }
}
