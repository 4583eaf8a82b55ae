using Microsoft.CodeAnalysis;
using OtelGen.Analyzers.SemConv;

namespace OtelGen.Analyzers;

/// <summary>Maps a C# type to the OpenTelemetry attribute value type it is recorded as, when that is certain.</summary>
internal static class ValueKinds
{
    public static ValueKind Of(ITypeSymbol? type)
    {
        if (type is null)
        {
            return ValueKind.Unknown;
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        ValueKind scalar = Scalar(type);
        if (scalar != ValueKind.Unknown)
        {
            return scalar;
        }

        ITypeSymbol? element = type switch
        {
            IArrayTypeSymbol array => array.ElementType,
            INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic when IsSequence(generic) => generic.TypeArguments[0],
            _ => null,
        };
        return Scalar(element) switch
        {
            ValueKind.String => ValueKind.StringArray,
            ValueKind.Int => ValueKind.IntArray,
            ValueKind.Double => ValueKind.DoubleArray,
            ValueKind.Bool => ValueKind.BoolArray,
            _ => ValueKind.Unknown,
        };
    }

    private static bool IsSequence(INamedTypeSymbol type)
    {
        if (type.OriginalDefinition.SpecialType is SpecialType.System_Collections_Generic_IEnumerable_T
            or SpecialType.System_Collections_Generic_IList_T or SpecialType.System_Collections_Generic_IReadOnlyList_T
            or SpecialType.System_Collections_Generic_ICollection_T or SpecialType.System_Collections_Generic_IReadOnlyCollection_T)
        {
            return true;
        }

        string name = type.Name;
        return name is "List" or "ReadOnlySpan" or "Span" or "ImmutableArray" or "ReadOnlyMemory" or "Memory";
    }

    private static ValueKind Scalar(ITypeSymbol? type) => type?.SpecialType switch
    {
        SpecialType.System_String => ValueKind.String,
        SpecialType.System_Boolean => ValueKind.Bool,
        SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16
            or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64 => ValueKind.Int,
        SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal => ValueKind.Double,
        _ => ValueKind.Unknown,
    };

    public static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.String => "string",
        ValueKind.Int => "int",
        ValueKind.Double => "double",
        ValueKind.Bool => "boolean",
        ValueKind.StringArray => "string[]",
        ValueKind.IntArray => "int[]",
        ValueKind.DoubleArray => "double[]",
        ValueKind.BoolArray => "boolean[]",
        _ => "unknown",
    };

    /// <summary>The registry's type, said the way the message reads best.</summary>
    public static string DescribeRegistryType(SemConvAttribute attribute) => attribute.Type == "enum"
        ? (attribute.Kind == ValueKind.Int ? "an enum of int values" : "an enum of string values")
        : attribute.IsTemplate ? Describe(attribute.Kind) : attribute.Type;
}
