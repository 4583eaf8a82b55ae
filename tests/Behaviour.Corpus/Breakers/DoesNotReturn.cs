using System.Diagnostics.CodeAnalysis;

namespace Behaviour;

// Breakers/: a shape that stopped the traced build compiling when the corpus was written (see Registry.cs).
// [DoesNotReturn]: the interceptor must not return either.

public static class DoesNotReturnMethods
{
    [Traced]
    [DoesNotReturn]
    public static void Fail(string message) => throw new NotSupportedException(message);

    public static string Checked(string? value)
    {
        if (value is null)
        {
            Fail("null value");
        }
        return value;
    }

    public static void Run()
    {
        Try("does not return", () => Checked(null));
        Say("does not return, not taken", Checked("v"));
    }
}
