using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Generated;

public class Ledger
{
    private long _balance;

    public long Balance => _balance;

    public long Deposit(long amount) => Apply(amount) + Audit(amount);

    [Traced]
    private long Apply([Tag("app.amount")] long amount) => _balance += amount;

    [Traced]
    private static long Audit(long amount) => 0 * amount;

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

    [Traced]
    private static decimal WithTax([Tag("app.amount")] decimal amount) => amount * 2m;
}

public class PrivateTests
{
    [Fact]
    public void Private_methods_of_static_classes_are_traced_through_UnsafeAccessorType()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal(6m, Pricing.Total(3m));
        SpanRecord span = Recorded.Single("Pricing.WithTax", before);
        Assert.Equal(3.0, Recorded.Attribute(span, "app.amount").AsDouble());
    }

    [Fact]
    public void Private_and_protected_methods_are_traced_through_UnsafeAccessor()
    {
        long before = Tracing.Ring.Written;
        var ledger = new SavingsLedger();
        Assert.Equal(5, ledger.Deposit(5));
        Assert.Equal(5, ledger.Balance);
        ledger.Close();
        Assert.Equal(0, ledger.Balance);
        SpanRecord apply = Recorded.Single("Ledger.Apply", before);
        Assert.Equal(5L, Recorded.Attribute(apply, "app.amount").AsLong());
        Recorded.Single("Ledger.Audit", before);
        Recorded.Single("Ledger.Reset", before);
    }
}
