using System.Diagnostics.CodeAnalysis;

namespace Behaviour;

// Breakers/: a shape that stopped the traced build compiling when the corpus was written (see Registry.cs).
// [Obsolete(DiagnosticId = ...)] and [Experimental] called where the caller suppressed the id: the interceptor calls the method again.

public static class DiagnosticIds
{
    [Obsolete("use something else", DiagnosticId = "MY001")]
    [Traced]
    public static int Custom() => 1;

    [Experimental("APP001")]
    [Traced]
    public static int Preview() => 2;

    public static void Run()
    {
#pragma warning disable MY001, APP001 // the caller opted in
        Say("obsolete with diagnostic id", Custom());
        Say("experimental", Preview());
#pragma warning restore MY001, APP001
    }
}
