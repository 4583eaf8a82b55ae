using System.Runtime.CompilerServices;

namespace Behaviour;

/// <summary>
/// Bytes of stack per level of recursion, traced and untraced: the address of a local at depth 0 minus its
/// address at depth <see cref="Depth"/>, divided by the depth. The same method body twice, one with [Traced].
/// Deterministic for a given build and tiering mode; the test runs it cold (tier 0) and with DOTNET_TieredCompilation=0.
/// </summary>
public static unsafe class StackUse
{
    public const int Depth = 200;

    [Traced]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long Traced(int n, long top)
    {
        byte marker = 0;
        long here = (long)&marker;
        if (top == 0)
        {
            top = here;
        }
        long used = n == 0 ? top - here : Traced(n - 1, top);
        return used + marker; // work after the call: no tail call
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long Untraced(int n, long top)
    {
        byte marker = 0;
        long here = (long)&marker;
        if (top == 0)
        {
            top = here;
        }
        long used = n == 0 ? top - here : Untraced(n - 1, top);
        return used + marker; // work after the call: no tail call
    }

    public static void Print()
    {
        long traced = Traced(Depth, 0);
        long untraced = Untraced(Depth, 0);
        Console.WriteLine("traced " + traced / Depth);
        Console.WriteLine("untraced " + untraced / Depth);
    }
}
