using System.Diagnostics.CodeAnalysis;

namespace Behaviour;

// Shapes that stopped the traced build from compiling when this corpus was written (errors in
// OtelGen.Interceptors.g.cs). They stay in the corpus: the test proves the fix. Build with
// -p:BehaviourSkipBreakers=true to leave this folder out and compare the rest meanwhile.

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

public static class NullableAnnotations
{
    [Traced]
    public static bool TryFind(int key, [NotNullWhen(true)] out string? value)
    {
        value = key > 0 ? "v" + key : null;
        return value is not null;
    }

    [Traced]
    public static bool TryGet<T>(bool has, T item, [MaybeNullWhen(false)] out T value)
    {
        value = has ? item : default;
        return has;
    }

    [Traced]
    [return: NotNullIfNotNull(nameof(s))]
    public static string? Trim(string? s) => s?.Trim();

    [Traced]
    public static int Strict([DisallowNull] string? s) => s.Length;

    [Traced]
    public static void Ensure([NotNull] ref string? s) => s ??= "filled";

    [Traced]
    public static string Lenient([AllowNull] string s) => s ?? "was null";

    [Traced]
    [return: MaybeNull]
    public static T FirstOrNothing<T>(List<T> items) => items.Count > 0 ? items[0] : default;

    [Traced]
    public static string? NullableReturn(bool give) => give ? "given" : null;

    public static void Run()
    {
        if (TryFind(3, out string? found))
        {
            Say("found", found.Length);
        }
        Say("not found", TryFind(0, out string? missing) + " " + Show(missing));
        if (TryGet<string>(true, "item", out string? got))
        {
            Say("got", got.ToUpperInvariant());
        }
        string trimmed = Trim(" x ");
        Say("trim", trimmed.Length);
        Say("trim null", Trim(null));
        string? maybe = "abc";
        Say("strict", Strict(maybe));
        string? ensured = null;
        Ensure(ref ensured);
        Say("ensure", ensured.Length);
        Say("lenient", Lenient(null));
        Say("first or nothing", FirstOrNothing(new List<string>()));
        Say("nullable return", NullableReturn(false)?.Length);
    }
}

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

public static class TagUnsignedArrays
{
    // docs/generator.md: "other integral / float / decimal arrays: a converted copy".
    [Traced]
    public static int Count([Tag("corpus.ulongs")] ulong[] values, [Tag("corpus.uints")] uint[] small) => values.Length + small.Length;

    public static void Run() => Say("ulong[] and uint[] tags", Count(new[] { ulong.MaxValue, 0UL }, new[] { uint.MaxValue }));
}
