using System;

namespace OtelGen;

/// <summary>
/// Records the argument passed for this parameter as a span attribute under <see cref="Key"/>
/// (a semantic-conventions key such as <c>db.collection.name</c>, or your own <c>app.*</c> key).
/// Strings, booleans, integers, floating-point numbers and arrays of them are recorded without boxing;
/// other types are recorded only with <see cref="UseToString"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class TagAttribute : Attribute
{
    /// <summary>Records the argument under <paramref name="key"/>.</summary>
    public TagAttribute(string key) { Key = key; }

    /// <summary>The attribute key.</summary>
    public string Key { get; }

    /// <summary>Opt in to recording <c>ToString()</c> of a value that is not a primitive or string.</summary>
    public bool UseToString { get; set; }
}
