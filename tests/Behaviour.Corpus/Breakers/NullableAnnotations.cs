using System.Diagnostics.CodeAnalysis;

namespace Behaviour;

// Breakers/: a shape that stopped the traced build compiling when the corpus was written (see Registry.cs).
// Nullable attributes on parameters and returns: the interceptor must repeat them.

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
