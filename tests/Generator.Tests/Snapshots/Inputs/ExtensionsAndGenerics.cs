using System;
using System.Collections.Generic;
using OtelGen;

namespace MyApp;

public static class TextExtensions
{
    [Traced]
    public static string Shout(this string text, int times) => text.ToUpperInvariant() + new string('!', times);

    [Traced]
    public static T FirstOr<T>(this IReadOnlyList<T> items, T fallback) => items.Count > 0 ? items[0] : fallback;
}

public class Registry<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, string> _names = new();

    [Traced]
    public string? Find(TKey key) => _names.TryGetValue(key, out string? name) ? name : null;

    [Traced]
    public TResult Map<TResult>(TKey key, Func<string?, TResult> map) where TResult : class, new() => map(Find(key));
}

public static class Converter
{
    [Traced]
    public static TOut Convert<TIn, TOut>(TIn value, Func<TIn, TOut> convert) where TIn : struct where TOut : IComparable<TOut> => convert(value);
}

public class Caller<T> where T : notnull
{
    // A call from generic code: the interceptor is generic too.
    public string? Use(Registry<T> registry, T key) => registry.Find(key);
}

public static class Program
{
    public static void Run()
    {
        _ = "hi".Shout(2);
        _ = TextExtensions.Shout("static form", 1);
        _ = new[] { 1, 2 }.FirstOr(0);
        _ = new List<string>().FirstOr("none");
        var registry = new Registry<int>();
        _ = registry.Find(1);
        _ = registry.Map(1, name => new List<string?> { name });
        _ = Converter.Convert(3, v => v.ToString());
        _ = new Caller<string>().Use(new Registry<string>(), "k");
    }
}
