using OtelGen;

namespace MyApp;

public class Ledger
{
    private long _balance;

    public long Deposit(long amount) => Apply(amount) + Audit(amount);

    // Private and protected targets are called through [UnsafeAccessor] (.NET 8+).
    [Traced]
    private long Apply(long amount) => _balance += amount;

    [Traced]
    private static long Audit(long amount) => amount;

    [Traced]
    protected void Reset() => _balance = 0;
}

public sealed class SavingsLedger : Ledger
{
    public void Close() => Reset();
}

public static class Pricing
{
    public static decimal Total(decimal amount) => WithTax(amount);

    // A static class cannot be a parameter type: named through [UnsafeAccessorType] (.NET 10+).
    [Traced]
    private static decimal WithTax(decimal amount) => amount * 1.2m;
}
