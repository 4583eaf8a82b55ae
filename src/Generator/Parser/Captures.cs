using System;
using Microsoft.CodeAnalysis;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

internal static partial class Parser
{
    // Captures.

    /// <summary>
    /// How a value of <paramref name="type"/> is recorded, or null with the reason: primitives without boxing,
    /// anything else only when the user opted in to <c>ToString()</c>.
    /// </summary>
    internal static CaptureKind? Classify(ITypeSymbol type, bool useToString, out bool nullableValue, out string? problem)
    {
        problem = null;
        nullableValue = false;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            nullableValue = true;
            type = nullable.TypeArguments[0];
        }
        if (type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
        {
            problem = "pointers cannot be recorded.";
            return null;
        }
        switch (type.SpecialType)
        {
            case SpecialType.System_SByte:
            case SpecialType.System_Byte:
            case SpecialType.System_Int16:
            case SpecialType.System_UInt16:
            case SpecialType.System_Int32:
            case SpecialType.System_UInt32:
            case SpecialType.System_Int64:
            case SpecialType.System_IntPtr:
                return CaptureKind.Long;
            case SpecialType.System_UInt64:
            case SpecialType.System_UIntPtr:
                return CaptureKind.UnsignedLong;
            case SpecialType.System_Char:
                return CaptureKind.Char;
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_Decimal:
                return CaptureKind.Double;
            case SpecialType.System_Boolean:
                return CaptureKind.Bool;
            case SpecialType.System_String:
                return CaptureKind.String;
        }
        if (type.TypeKind == TypeKind.Enum)
        {
            return useToString ? CaptureKind.EnumName : CaptureKind.EnumValue;
        }
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            switch (array.ElementType.SpecialType)
            {
                case SpecialType.System_Int64:
                case SpecialType.System_Double:
                case SpecialType.System_Boolean:
                    return CaptureKind.ArrayAsIs;
                case SpecialType.System_String:
                    return array.ElementNullableAnnotation == NullableAnnotation.Annotated ? CaptureKind.ArrayOfNullableStrings : CaptureKind.ArrayAsIs;
                case SpecialType.System_SByte:
                case SpecialType.System_Byte:
                case SpecialType.System_Int16:
                case SpecialType.System_UInt16:
                case SpecialType.System_Int32:
                case SpecialType.System_UInt32:
                case SpecialType.System_UInt64:
                case SpecialType.System_IntPtr:
                case SpecialType.System_UIntPtr:
                    return CaptureKind.ArrayToLong;
                case SpecialType.System_Char:
                    return CaptureKind.ArrayOfChars;
                case SpecialType.System_Single:
                case SpecialType.System_Decimal:
                    return CaptureKind.ArrayToDouble;
            }
        }
        if (useToString)
        {
            return type.IsValueType ? CaptureKind.ToStringValue : CaptureKind.ToStringNullable;
        }
        problem = type.IsRefLikeType
            ? "a ref struct cannot be kept by the span. Set UseToString = true to record its ToString() (a ReadOnlySpan<char> gives its text), or tag a string or number instead."
            : "only strings, booleans, numbers, enums and one-dimensional arrays of them are recorded without calling ToString(). Set UseToString = true to record ToString(), or tag a primitive value instead.";
        return null;
    }

    /// <summary>Why the return value cannot be recorded, or null (with the type that is recorded).</summary>
    private static string? ReturnTagProblem(IMethodSymbol method, out ITypeSymbol? valueType)
    {
        valueType = null;
        switch (ShapeOf(method))
        {
            case ReturnShape.Void:
            case ReturnShape.Task:
            case ReturnShape.ValueTask:
                return "it returns no value. Remove ReturnTag.";
            case ReturnShape.TaskOfT:
            case ReturnShape.ValueTaskOfT:
                valueType = ((INamedTypeSymbol)method.ReturnType).TypeArguments[0];
                break;
            default:
                valueType = method.ReturnType;
                break;
        }
        if (Classify(valueType, false, out _, out string? problem) is null)
        {
            return "its type '" + valueType.ToDisplayString() + "' is not a string, boolean, number, enum or array of them. Remove ReturnTag, or tag a value you compute from it.";
        }
        return null;
    }
}
