namespace Behaviour;

// Breakers/: a shape that stopped the traced build compiling when the corpus was written (see Registry.cs).
// [Tag] on arrays of other integral types.

public static class TagUnsignedArrays
{
    // docs/generator.md: "other integral / float / decimal arrays: a converted copy" (char is integral in C#).
    [Traced]
    public static int Count([Tag("corpus.ulongs")] ulong[] values, [Tag("corpus.uints")] uint[] small, [Tag("corpus.chars")] char[] chars) => values.Length + small.Length + chars.Length;

    public static void Run() => Say("ulong[], uint[] and char[] tags", Count(new[] { ulong.MaxValue, 0UL }, new[] { uint.MaxValue }, new[] { '\0', 'é', '\uD800' }));
}
