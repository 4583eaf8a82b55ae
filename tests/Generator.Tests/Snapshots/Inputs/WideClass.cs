using System.Diagnostics;
using OtelGen;

namespace MyApp;

[Traced]
public class OrderService
{
    public int Place(int quantity) => quantity;

    public static string Version() => "1";

    [Traced("orders.cancel")]
    public void Cancel() { }

    [NoTrace]
    public int Hidden() => 0;

    internal int NotPublic() => 1;

    public override string ToString() => "orders";
}

[Traced(Kind = ActivityKind.Consumer)]
public class Listener
{
    public void Handle() { }
}

[Traced]
[NoTrace]
public class Quiet
{
    public void Nothing() { }

    [Traced]
    public void Explicit() { }
}

public static class Program
{
    public static void Run()
    {
        var service = new OrderService();
        service.Place(2);
        _ = OrderService.Version();
        service.Cancel();
        service.Hidden();
        service.NotPublic();
        _ = service.ToString();
        new Listener().Handle();
        new Quiet().Nothing();
        new Quiet().Explicit();
    }
}
