using System;

namespace OtelGen;

/// <summary>Excludes a method (or every method of a type) from instrumentation that a wider <see cref="TracedAttribute"/> would apply.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class NoTraceAttribute : Attribute
{
}
