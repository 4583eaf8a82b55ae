using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

internal static partial class Parser
{
    // The target model.

    private static TargetModel BuildTarget(IMethodSymbol method, Rule rule, Compilation compilation, CancellationToken cancellationToken)
    {
        INamedTypeSymbol type = method.ContainingType;
        ReturnShape shape = ShapeOf(method);

        // The interceptor is generic over the containing types' type parameters and the method's; names that
        // repeat (Outer<T>.Inner<T>) are renamed, so every type written below goes through one renderer.
        var all = new List<ITypeParameterSymbol>();
        var containing = new List<INamedTypeSymbol>();
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            containing.Insert(0, t);
        }
        foreach (INamedTypeSymbol t in containing)
        {
            all.AddRange(t.TypeParameters);
        }
        all.AddRange(method.TypeParameters);
        var types = new TypeText(all);

        string resultType = shape is ReturnShape.TaskOfT or ReturnShape.ValueTaskOfT
            ? types.Of(((INamedTypeSymbol)method.ReturnType).TypeArguments[0])
            : shape == ReturnShape.Value ? types.Of(method.ReturnType) : string.Empty;

        var typeParameters = new List<TypeParameterModel>();
        foreach (ITypeParameterSymbol parameter in all)
        {
            typeParameters.Add(new TypeParameterModel(types.NameOf(parameter), Constraints(parameter, types)));
        }

        ReceiverKind receiver = method.IsStatic
            ? ReceiverKind.None
            : type.IsValueType
                ? (method.IsReadOnly || type.IsReadOnly ? ReceiverKind.StructIn : ReceiverKind.StructRef)
                : ReceiverKind.Reference;

        var parameters = new List<ParameterModel>();
        var captures = new List<CaptureModel>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            string name = Identifier(parameter.Name);
            ParameterPassing passing = parameter.RefKind switch
            {
                RefKind.Ref => ParameterPassing.Ref,
                RefKind.Out => ParameterPassing.Out,
                RefKind.In => ParameterPassing.In,
                RefKind.RefReadOnlyParameter => ParameterPassing.RefReadOnly,
                _ => ParameterPassing.Value,
            };
            parameters.Add(new ParameterModel(
                name,
                types.Of(parameter.Type),
                passing,
                Scoped: parameter.ScopedKind != ScopedKind.None && parameter.RefKind != RefKind.Out, // out is implicitly scoped
                IsThis: method.IsExtensionMethod && parameter.Ordinal == 0,
                Attributes: Signatures.RepeatedAttributes(parameter.GetAttributes(), Signatures.ParameterAttributes)));

            if (Find(AttributesOf(parameter), "TagAttribute") is { } tag
                && tag.ConstructorArguments.Length > 0 && tag.ConstructorArguments[0].Value is string key
                && Classify(parameter.Type, NamedBool(tag, "UseToString", false), out bool nullableValue, out _) is { } kind)
            {
                captures.Add(new CaptureModel(key, name, kind, nullableValue, parameter.RefKind == RefKind.Out));
            }
        }

        AccessorKind accessor = InaccessibleReason(method) is null ? AccessorKind.None : method.IsStatic ? AccessorKind.StaticMethod : AccessorKind.Method;
        string callName = Identifier(method.Name)
            + (method.TypeParameters.Length == 0 ? string.Empty : "<" + string.Join(", ", method.TypeParameters.Select(types.NameOf)) + ">");

        SpanModel span = BuildSpan(method, rule, out string? returnKey);
        CaptureModel? returnCapture = null;
        if (returnKey is not null && ReturnTagProblem(method, out ITypeSymbol? valueType) is null
            && Classify(valueType!, false, out bool returnNullable, out _) is { } returnKind)
        {
            returnCapture = new CaptureModel(returnKey, "result", returnKind, returnNullable, AfterCall: true);
        }

        bool flow = shape != ReturnShape.Value && shape != ReturnShape.Void || NeedsFlow(method, compilation, cancellationToken);
        string declaringType = types.Of(type);

        return new TargetModel(
            Key: method.GetDocumentationCommentId() ?? method.ToDisplayString(),
            TypeName: type.Name,
            MethodName: method.Name,
            Receiver: receiver,
            ReceiverType: receiver == ReceiverKind.None ? string.Empty : declaringType,
            ReturnType: method.ReturnsVoid ? "void" : types.Of(method.ReturnType),
            Shape: shape,
            ResultType: resultType,
            TypeParameters: new EquatableArray<TypeParameterModel>(typeParameters),
            Parameters: new EquatableArray<ParameterModel>(parameters),
            CallName: callName,
            Accessor: accessor,
            DeclaringType: declaringType,
            AccessorTypeName: accessor != AccessorKind.None && type.IsStatic ? RuntimeTypeName(type, compilation) : string.Empty,
            Flow: flow,
            Span: span,
            Captures: new EquatableArray<CaptureModel>(captures),
            ReturnCapture: returnCapture,
            MethodAttributes: Signatures.RepeatedAttributes(method.GetAttributes(), Signatures.MethodAttributes),
            ReturnAttributes: Signatures.RepeatedAttributes(method.GetReturnTypeAttributes(), Signatures.ReturnAttributes),
            SuppressedIds: Signatures.SuppressedIds(method),
            // The task is an async method's own (its state machine's, made in the span's flow): the span can end as
            // that flow is left (AsyncSpanScope.TrackAsyncMethod). Only where this body is the one that runs (not a
            // method an override may replace with one returning any task), and not with a builder of the method's
            // own, whose task may complete elsewhere; the result-recording wrapper the emitter adds is an async method too.
            AsyncBody: shape is ReturnShape.Task or ReturnShape.TaskOfT
                && (returnCapture is not null
                    || method.IsAsync && RunsThisBody(method) && !method.GetAttributes().Any(a => a.AttributeClass?.Name == "AsyncMethodBuilderAttribute")));
    }

    /// <summary>Whether a call of <paramref name="method"/> runs its own body: no override can take its place.</summary>
    private static bool RunsThisBody(IMethodSymbol method) =>
        method.IsStatic || method.IsSealed || method.ContainingType.IsSealed || method.ContainingType.TypeKind == TypeKind.Struct
        || !method.IsVirtual && !method.IsOverride && !method.IsAbstract;

    /// <summary>The assembly-qualified runtime name, e.g. <c>MyApp.Outer+Inner, MyApp</c>.</summary>
    private static string RuntimeTypeName(INamedTypeSymbol type, Compilation compilation)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }
        if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
        {
            name = ns.ToDisplayString() + "." + name;
        }
        return name + ", " + compilation.AssemblyName;
    }

    private static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string Constraints(ITypeParameterSymbol parameter, TypeText types)
    {
        var parts = new List<string>();
        if (parameter.HasReferenceTypeConstraint)
        {
            parts.Add(parameter.ReferenceTypeConstraintNullableAnnotation == NullableAnnotation.Annotated ? "class?" : "class");
        }
        else if (parameter.HasUnmanagedTypeConstraint)
        {
            parts.Add("unmanaged");
        }
        else if (parameter.HasValueTypeConstraint)
        {
            parts.Add("struct");
        }
        else if (parameter.HasNotNullConstraint)
        {
            parts.Add("notnull");
        }
        foreach (ITypeSymbol constraint in parameter.ConstraintTypes)
        {
            parts.Add(types.Of(constraint));
        }
        if (parameter.HasConstructorConstraint)
        {
            parts.Add("new()");
        }
        if (parameter.AllowsRefLikeType)
        {
            parts.Add("allows ref struct");
        }
        return parts.Count == 0 ? string.Empty : "where " + types.NameOf(parameter) + " : " + string.Join(", ", parts);
    }

    private static SpanModel BuildSpan(IMethodSymbol method, Rule rule, out string? returnKey)
    {
        string functionName = method.ContainingType.ToDisplayString(s_functionNameFormat) + "." + method.Name;
        string defaultName = method.ContainingType.Name + "." + method.Name;
        var attributes = new List<ConstantAttribute>();
        if (rule.Effect is { } effect)
        {
            string operation = effect.ConstructorArguments.Length > 0 && effect.ConstructorArguments[0].Value is string op ? op : string.Empty;
            string? target = NamedString(effect, "Target");
            int dot = operation.IndexOf('.');
            string system = dot > 0 ? operation.Substring(0, dot) : string.Empty;
            string verb = dot > 0 ? operation.Substring(dot + 1) : operation;
            if (system == "db")
            {
                attributes.Add(new ConstantAttribute("db.operation.name", verb));
                if (!string.IsNullOrEmpty(target))
                {
                    attributes.Add(new ConstantAttribute("db.collection.name", target!));
                }
            }
            else if (system == "http")
            {
                attributes.Add(new ConstantAttribute("http.request.method", verb.ToUpperInvariant()));
            }
            if (system.Length > 0)
            {
                attributes.Add(new ConstantAttribute("otelgen.effect.system", system));
            }
            attributes.Add(new ConstantAttribute("otelgen.effect.operation", verb));
            if (!string.IsNullOrEmpty(target))
            {
                attributes.Add(new ConstantAttribute("otelgen.effect.target", target!));
            }
            attributes.Add(new ConstantAttribute("code.function.name", functionName));
            returnKey = NamedString(effect, "ReturnTag");
            string name = operation.Length == 0 ? defaultName : string.IsNullOrEmpty(target) ? operation : operation + " " + target;
            return new SpanModel(name, KindName(NamedInt(effect, "Kind", ClientKind)), !NamedBool(effect, "Required", true), new EquatableArray<ConstantAttribute>(attributes));
        }
        attributes.Add(new ConstantAttribute("code.function.name", functionName));
        if (rule.Traced is { } traced)
        {
            string? given = traced.ConstructorArguments.Length > 0 ? traced.ConstructorArguments[0].Value as string : null;
            returnKey = NamedString(traced, "ReturnTag");
            return new SpanModel(string.IsNullOrEmpty(given) ? defaultName : given!, KindName(NamedInt(traced, "Kind", InternalKind)), false, new EquatableArray<ConstantAttribute>(attributes));
        }
        returnKey = null;
        return new SpanModel(defaultName, KindName(rule.WideKind), false, new EquatableArray<ConstantAttribute>(attributes));
    }
}
