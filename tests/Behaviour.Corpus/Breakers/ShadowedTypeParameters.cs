namespace Behaviour;

// Breakers/: a shape that stopped the traced build compiling when the corpus was written (see Registry.cs).
// Outer<T>.Inner<T> and Outer<T>.Method<T>: the interceptor is generic over both type parameter lists.

#pragma warning disable CS0693 // the inner type parameter hides the outer one: legal C#, and what this case is about
public sealed class Outer<T>
{
    public sealed class Inner<T>
    {
        [Traced]
        public string Names(T value) => typeof(T).Name + " " + value;
    }

    [Traced]
    public string Method<T>(T value) => typeof(T).Name + " " + value;
}
#pragma warning restore CS0693

public static class ShadowedTypeParameters
{
    public static void Run()
    {
        Say("inner", new Outer<int>.Inner<string>().Names("s"));
        Say("method", new Outer<int>().Method(2.5));
    }
}
