using System;

namespace OtelGen.Generator.Model;

// The pipeline's model: plain data only (strings, numbers, enums, equatable arrays of more model), never
// symbols or syntax nodes, so equal inputs give equal models and the driver can cache what follows.
// Type names are kept as the C# text the emitter writes (fully qualified, with global::).

/// <summary>How the interceptor receives the instance the call was made on.</summary>
internal enum ReceiverKind
{
    /// <summary>A static method (or a classic extension method, called statically).</summary>
    None,
    /// <summary>A class or interface instance: <c>this T @this</c>.</summary>
    Reference,
    /// <summary>A struct instance method that may mutate it: <c>this ref S @this</c>.</summary>
    StructRef,
    /// <summary>A readonly struct member: <c>this in S @this</c>.</summary>
    StructIn,
}

/// <summary>How the interceptor calls the original: directly, or through an [UnsafeAccessor] for a private/protected method.</summary>
internal enum AccessorKind
{
    /// <summary>A direct call: the method is internal or public.</summary>
    None,
    /// <summary>An instance method reached with <c>UnsafeAccessorKind.Method</c>.</summary>
    Method,
    /// <summary>A static method reached with <c>UnsafeAccessorKind.StaticMethod</c>.</summary>
    StaticMethod,
}

/// <summary>What the method returns, as far as the span's end is concerned.</summary>
internal enum ReturnShape
{
    Void,
    Value,
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
}

/// <summary>How a captured value becomes a span attribute.</summary>
internal enum CaptureKind
{
    /// <summary>An integral number: <c>unchecked((long)v)</c>.</summary>
    Long,
    /// <summary>An unsigned 64-bit number (ulong, nuint): <c>unchecked((long)v)</c>.</summary>
    UnsignedLong,
    /// <summary>A char: the one-character string, <c>AttributeValue.Of(v)</c>.</summary>
    Char,
    /// <summary>float, double, decimal: <c>(double)v</c>.</summary>
    Double,
    /// <summary>A boolean.</summary>
    Bool,
    /// <summary>A string (skipped when null).</summary>
    String,
    /// <summary>An enum recorded by its numeric value.</summary>
    EnumValue,
    /// <summary>An enum recorded by its name (opt-in: allocates).</summary>
    EnumName,
    /// <summary>Any other value, by <c>ToString()</c> (opt-in), skipped when null or when ToString throws.</summary>
    ToStringNullable,
    /// <summary>A value type by <c>ToString()</c> (opt-in), skipped when ToString throws.</summary>
    ToStringValue,
    /// <summary>An array that <c>AttributeValue.Of</c> takes as is: long[], double[], bool[], string[].</summary>
    ArrayAsIs,
    /// <summary>An array of other integral numbers, copied to long[] (unchecked: ulong and nuint above long.MaxValue wrap).</summary>
    ArrayToLong,
    /// <summary>An array of float/decimal, copied to double[].</summary>
    ArrayToDouble,
    /// <summary>A string?[] copied with nulls as empty strings.</summary>
    ArrayOfNullableStrings,
    /// <summary>A char[] copied to one-character strings.</summary>
    ArrayOfChars,
}

/// <summary>One value recorded as a span attribute: an argument (by parameter name) or the return value.</summary>
internal sealed record CaptureModel(string Key, string ValueName, CaptureKind Kind, bool IsNullableValue, bool AfterCall);

/// <summary>A constant attribute on the span descriptor.</summary>
internal sealed record ConstantAttribute(string Key, string Value);

/// <summary>A generic type parameter of the interceptor and its constraint clause (empty when none).</summary>
internal sealed record TypeParameterModel(string Name, string Constraints);

/// <summary>How a parameter is passed.</summary>
internal enum ParameterPassing
{
    Value,
    Ref,
    Out,
    In,
    RefReadOnly,
}

/// <summary>
/// A parameter of the interceptor: its identifier, its type (C# text), how it is passed, whether it is
/// <c>scoped</c> or a classic extension method's <c>this</c>, and the attributes the interceptor repeats so
/// that the compiler's nullable and interception checks see the same signature as the original's.
/// </summary>
internal sealed record ParameterModel(string Name, string Type, ParameterPassing Passing, bool Scoped, bool IsThis, EquatableArray<string> Attributes);

/// <summary>The span a method records: everything that ends up in its static descriptor.</summary>
internal sealed record SpanModel(string Name, string Kind, bool Optional, EquatableArray<ConstantAttribute> Attributes);

/// <summary>
/// An instrumented method, described as its interceptor needs it. <see cref="CallName"/> is the method's
/// identifier with its type arguments; <see cref="MethodAttributes"/> and <see cref="ReturnAttributes"/> are
/// attributes the interceptor repeats (trimming requirements, nullable flow); <see cref="SuppressedIds"/> are
/// diagnostic ids the forwarding call would raise although the user's own call does not (obsolete and
/// experimental ids that the user suppressed where they call it).
/// </summary>
internal sealed record TargetModel(
    string Key,
    string TypeName,
    string MethodName,
    ReceiverKind Receiver,
    string ReceiverType,
    string ReturnType,
    ReturnShape Shape,
    string ResultType,
    EquatableArray<TypeParameterModel> TypeParameters,
    EquatableArray<ParameterModel> Parameters,
    string CallName,
    AccessorKind Accessor,
    string DeclaringType,
    string AccessorTypeName,
    bool Flow,
    SpanModel Span,
    EquatableArray<CaptureModel> Captures,
    CaptureModel? ReturnCapture,
    EquatableArray<string> MethodAttributes,
    EquatableArray<string> ReturnAttributes,
    EquatableArray<string> SuppressedIds,
    bool AsyncBody = false);

/// <summary>One intercepted call: where it is (the interceptable location) and what it calls.</summary>
internal sealed record CallSiteModel(TargetModel Target, int LocationVersion, string LocationData, string FileName, int Line, int Column, string CallText);

/// <summary>What binding one file found: the calls to intercept, in source order. (Diagnostics come from InterceptionAnalyzer, not from here.)</summary>
internal sealed record FileResult(EquatableArray<CallSiteModel> Sites)
{
    public static readonly FileResult Empty = new(EquatableArray<CallSiteModel>.Empty);
}
