using System.Diagnostics.CodeAnalysis;

namespace Behaviour;

// Breakers/: a shape that stopped the traced build compiling when the corpus was written (see Registry.cs).
// [RequiresUnreferencedCode] called from a [RequiresUnreferencedCode] method, with IsAotCompatible: the interceptor calls it from a method without the attribute.

public static class TrimmingAnnotations
{
    [RequiresUnreferencedCode("reads members by name")]
    [Traced]
    public static int ByName(string name) => typeof(Person).GetProperty(name)?.Name.Length ?? -1;

    [RequiresUnreferencedCode("calls ByName")]
    public static int Caller() => ByName("Name");

    public static void Run()
    {
#pragma warning disable IL2026 // the corpus opts in: it calls a RequiresUnreferencedCode method on purpose
        Say("requires unreferenced code", Caller());
#pragma warning restore IL2026
    }
}
