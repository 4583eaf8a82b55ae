using System.Diagnostics;
using OtelGen;

namespace MyApp;

public class Work
{
    private int _total;

    [Traced]
    public int Step(int x) => _total += x;

    [Traced("work.reset", Kind = ActivityKind.Server)]
    public void Reset() => _total = 0;

    [Traced]
    public static string Describe(string? label, int count) => (label ?? "none") + count;

    public int Untraced() => _total;
}

public static class Program
{
    public static int Main()
    {
        var work = new Work();
        work.Step(3);
        work.Step(x: 4);
        work.Reset();
        _ = Work.Describe(null, work.Untraced());
        return 0;
    }
}
