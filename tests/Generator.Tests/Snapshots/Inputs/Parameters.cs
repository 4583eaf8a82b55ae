using System;
using OtelGen;

namespace MyApp;

public class Buffers
{
    [Traced]
    public void Swap(ref int a, ref int b) => (a, b) = (b, a);

    [Traced]
    public bool TryGet(in long key, out string value) { value = key.ToString(); return true; }

    [Traced]
    public int Sum(params int[] values) { int s = 0; foreach (int v in values) s += v; return s; }

    [Traced]
    public int Fill(Span<byte> target, byte value) { target.Fill(value); return target.Length; }

    [Traced]
    public int Measure(scoped ReadOnlySpan<char> text) => text.Length;

    [Traced]
    public ReadOnlySpan<char> Slice(ReadOnlySpan<char> text, int start) => text.Slice(start);

    [Traced]
    public int Keywords(int @class, string @event, int count = 3) => @class + count + @event.Length;

    [Traced]
    public void Readonly(ref readonly int value) { }

    [Traced]
    public (int Low, int High) Range(int scope, int result) => (scope, result);
}

public static class Program
{
    public static void Run(Buffers buffers)
    {
        int a = 1, b = 2;
        buffers.Swap(ref a, ref b);
        _ = buffers.TryGet(5, out string value);
        _ = buffers.Sum(1, 2, 3);
        _ = buffers.Fill(stackalloc byte[4], 7);
        _ = buffers.Slice("hello", 1);
        _ = buffers.Measure("abc");
        _ = buffers.Keywords(1, "e");
        buffers.Readonly(in a);
        _ = buffers.Range(1, 2);
    }
}
