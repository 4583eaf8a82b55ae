using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using OtelGen.Generator.Model;
using Xunit;

namespace OtelGen.Generator.Tests;

public class ModelTests
{
    private static readonly Type[] s_modelTypes = typeof(CallSiteModel).Assembly.GetTypes()
        .Where(t => t.Namespace == "OtelGen.Generator.Model" && !t.IsNested && t.Name != "IsExternalInit" && !t.IsAbstract)
        .ToArray();

    [Fact]
    public void The_pipeline_model_holds_no_Roslyn_types_only_plain_equatable_data()
    {
        Assert.Contains(typeof(CallSiteModel), s_modelTypes);
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(new[] { typeof(FileResult), typeof(CallSiteModel) });
        while (pending.Count > 0)
        {
            Type type = pending.Pop();
            if (!seen.Add(type))
            {
                continue;
            }
            Assert.False(type.Assembly.GetName().Name!.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal), $"{type} is a Roslyn type");
            if (type.IsPrimitive || type.IsEnum || type == typeof(string))
            {
                continue;
            }
            Assert.True(type.Namespace == "OtelGen.Generator.Model", $"{type} is not a model type");
            Assert.True(type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>)), $"{type} is not equatable");
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                Type fieldType = Nullable.GetUnderlyingType(field.FieldType) ?? field.FieldType;
                if (fieldType == typeof(Type))
                {
                    continue; // the record's EqualityContract is a static property, never a field; defensive
                }
                if (fieldType.IsArray)
                {
                    Assert.True(type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EquatableArray<>), $"{type}.{field.Name} is a raw array");
                    pending.Push(fieldType.GetElementType()!);
                    continue;
                }
                if (fieldType.IsGenericType)
                {
                    foreach (Type argument in fieldType.GetGenericArguments())
                    {
                        pending.Push(argument);
                    }
                }
                pending.Push(fieldType);
            }
        }
    }

    [Fact]
    public void Equal_content_gives_equal_models()
    {
        static TargetModel Make() => new(
            "M:A.B", "B", "M", ReceiverKind.Reference, "global::A.B", "int", ReturnShape.Value, "int",
            EquatableArray<TypeParameterModel>.Empty,
            new EquatableArray<ParameterModel>(new[] { new ParameterModel("x", "int", ParameterPassing.Value, false, false, new EquatableArray<string>(new[] { "[global::System.Diagnostics.CodeAnalysis.NotNullAttribute]" })) }),
            "M", AccessorKind.None, "global::A.B", "", false,
            new SpanModel("B.M", "Internal", false, new EquatableArray<ConstantAttribute>(new[] { new ConstantAttribute("code.function.name", "A.B.M") })),
            EquatableArray<CaptureModel>.Empty, null,
            EquatableArray<string>.Empty, EquatableArray<string>.Empty, new EquatableArray<string>(new[] { "MY001" }));
        Assert.Equal(Make(), Make());
        Assert.Equal(Make().GetHashCode(), Make().GetHashCode());
        Assert.NotEqual(Make(), Make() with { Flow = true });
    }
}
