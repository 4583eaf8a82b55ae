namespace Behaviour;

// Breakers/: a shape that stopped the traced build compiling when the corpus was written (see Registry.cs).
// A parameter named @this: the name the interceptor gives the receiver.

public static class ThisParameter
{
    [Traced]
    public static int Extension(this string @this, int @base) => @this.Length + @base;

    [Traced]
    public static int Plain(int @this) => @this * 2;

    public static void Run()
    {
        Say("extension with @this", "abc".Extension(1));
        Say("parameter named @this", Plain(21));
        Say("instance method with a parameter named @this", new ThisHolder(1).Add(2));
        var s = new ThisStruct { Value = 5 };
        s.Add(@this: 3);
        Say("struct method with a parameter named @this", s.Value);
    }
}

public sealed class ThisHolder(int value)
{
    [Traced]
    public int Add(int @this) => value + @this;
}

public struct ThisStruct
{
    public int Value;

    [Traced]
    public void Add(int @this) => Value += @this;
}
