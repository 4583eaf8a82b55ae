using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

/// <summary>
/// The "find" stage: reads symbols and syntax and returns plain models. Nothing here writes code and
/// nothing it returns holds a symbol or a syntax node.
/// </summary>
internal static class Parser
{
    public const string TracedAttribute = "OtelGen.TracedAttribute";
    public const string EffectAttribute = "OtelGen.EffectAttribute";
    public const string TagAttribute = "OtelGen.TagAttribute";

    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    // "MyApp.Work.Step": namespace, containing types and name, no generic arguments.
    private static readonly SymbolDisplayFormat s_functionNameFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.None);

    /// <summary>What instruments a method: an explicit attribute on it, or a wide rule (its type, its assembly).</summary>
    private sealed class Rule
    {
        public AttributeData? Traced;
        public AttributeData? Effect;
        public int WideKind = 1;
    }

    // ---------------------------------------------------------------- invocations

    /// <summary>The cheap syntactic filter: a call by name (member access, plain or generic name, or ?.).</summary>
    public static bool IsCandidateInvocation(SyntaxNode node, CancellationToken _) =>
        node is InvocationExpressionSyntax
        {
            Expression: MemberAccessExpressionSyntax or IdentifierNameSyntax or GenericNameSyntax or MemberBindingExpressionSyntax,
        };

    /// <summary>
    /// Binds every candidate call of one file. Runs only when the file changed or the project's declarations did
    /// (<see cref="FileInput"/>), so an edit elsewhere reuses this file's results without binding anything.
    /// </summary>
    public static FileResult ParseFile(FileInput input, CancellationToken cancellationToken)
    {
        Compilation compilation = input.Compilation;
        // Projects that do not reference OtelGen pay one cached type lookup per file, not a binding.
        if (compilation.GetTypeByMetadataName(TracedAttribute) is null)
        {
            return FileResult.Empty;
        }
        SemanticModel? model = null;
        List<CallSiteResult>? results = null;
        List<DiagnosticModel>? declarations = null;
        foreach (SyntaxNode node in input.Unit.DescendantNodes())
        {
            if (IsCandidateInvocation(node, cancellationToken))
            {
                // Only a call written with the name of an instrumented method can bind to one: skip the rest unbound.
                if (!input.Names.Contains(CalledName((InvocationExpressionSyntax)node)))
                {
                    continue;
                }
                model ??= compilation.GetSemanticModel(input.Unit.SyntaxTree);
                if (ParseCallSite((InvocationExpressionSyntax)node, model, cancellationToken) is { } result)
                {
                    (results ??= new List<CallSiteResult>()).Add(result);
                }
            }
            else if (node is MethodDeclarationSyntax { AttributeLists.Count: > 0 } or LocalFunctionStatementSyntax { AttributeLists.Count: > 0 } or ParameterSyntax { AttributeLists.Count: > 0 })
            {
                model ??= compilation.GetSemanticModel(input.Unit.SyntaxTree);
                CheckDeclaredSymbol(node, model, ref declarations, cancellationToken);
            }
        }
        return results is null && declarations is null
            ? FileResult.Empty
            : new FileResult(
                results is null ? EquatableArray<CallSiteResult>.Empty : new EquatableArray<CallSiteResult>(results),
                declarations is null ? EquatableArray<DiagnosticModel>.Empty : new EquatableArray<DiagnosticModel>(declarations));
    }

    /// <summary>The semantic transform of one call: the call site to intercept, a diagnostic, or null for a call of an uninstrumented method.</summary>
    public static CallSiteResult? ParseCallSite(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol called)
        {
            return null;
        }
        IMethodSymbol method = Definition(called);
        Compilation compilation = model.Compilation;
        Rule? rule = FindRule(method, compilation);
        if (rule is null || FindUnsupported(method, compilation, cancellationToken) is not null)
        {
            // Unsupported shapes with an explicit attribute are reported on the declaration.
            return null;
        }
        SyntaxNode nameNode = NameOf(invocation);
        if (invocation.Expression is MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax })
        {
            return new CallSiteResult(null, Diagnostics.Create(Diagnostics.CallNotTraced, nameNode.GetLocation(), DisplayName(method),
                "a base. call runs one specific implementation and an interceptor could only make a virtual call; trace the base method's other call sites, or call a traced helper"));
        }
        if (IsInExpressionTree(invocation, model, cancellationToken))
        {
            // Expression trees are data, not calls: the analyzer explains this one.
            return null;
        }
        Microsoft.CodeAnalysis.CSharp.InterceptableLocation? location = model.GetInterceptableLocation(invocation, cancellationToken);
        if (location is null)
        {
            return new CallSiteResult(null, Diagnostics.Create(Diagnostics.CallNotTraced, nameNode.GetLocation(), DisplayName(method),
                "the compiler cannot intercept a call of this form; call the method directly by name"));
        }
        TargetModel target = BuildTarget(method, rule, compilation, cancellationToken);
        FileLinePositionSpan line = nameNode.GetLocation().GetLineSpan();
        var site = new CallSiteModel(
            target,
            location.Version,
            location.Data,
            Path.GetFileName(invocation.SyntaxTree.FilePath),
            line.StartLinePosition.Line + 1,
            line.StartLinePosition.Character + 1,
            CallText(invocation));
        return new CallSiteResult(site, null);
    }

    private static SyntaxNode NameOf(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name,
        MemberBindingExpressionSyntax binding => binding.Name,
        _ => invocation.Expression,
    };

    private static string CallText(InvocationExpressionSyntax invocation)
    {
        var text = new StringBuilder();
        bool space = false;
        // For x?.M(), show the whole conditional access rather than ".M()".
        SyntaxNode shown = invocation.Parent is ConditionalAccessExpressionSyntax conditional && conditional.WhenNotNull == invocation ? conditional : invocation;
        foreach (char c in shown.ToString())
        {
            if (char.IsWhiteSpace(c))
            {
                space = text.Length > 0;
                continue;
            }
            if (space)
            {
                text.Append(' ');
                space = false;
            }
            text.Append(c);
        }
        return text.Length > 80 ? text.ToString(0, 77) + "..." : text.ToString();
    }

    private static bool IsInExpressionTree(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is AnonymousFunctionExpressionSyntax lambda
                && model.GetTypeInfo(lambda, cancellationToken).ConvertedType is INamedTypeSymbol converted
                && IsExpressionType(converted))
            {
                return true;
            }
            if (current is MemberDeclarationSyntax)
            {
                return false;
            }
        }
        return false;
    }

    private static bool IsExpressionType(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (t.Name is "Expression" or "LambdaExpression" && t.ContainingNamespace?.ToDisplayString() == "System.Linq.Expressions")
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The declared, unconstructed, unreduced method: what the interceptor mirrors.</summary>
    private static IMethodSymbol Definition(IMethodSymbol called) => (called.ReducedFrom ?? called).OriginalDefinition;

    // ---------------------------------------------------------------- which methods are instrumented

    internal static bool IsOtelGenAttribute(AttributeData attribute, string name) =>
        attribute.AttributeClass is { } type
        && type.Name == name
        && type.ContainingNamespace is { Name: "OtelGen", ContainingNamespace.IsGlobalNamespace: true };

    internal static AttributeData? Find(ImmutableArray<AttributeData> attributes, string name)
    {
        foreach (AttributeData attribute in attributes)
        {
            if (IsOtelGenAttribute(attribute, name))
            {
                return attribute;
            }
        }
        return null;
    }

    private static ImmutableArray<AttributeData> AttributesOf(ISymbol symbol) => symbol.GetAttributes();

    /// <summary>
    /// The rule that instruments <paramref name="method"/>, or null. Precedence: <c>[NoTrace]</c> on the method,
    /// then an explicit <c>[Effect]</c>/<c>[Traced]</c> on it, then <c>[NoTrace]</c> on its type, then
    /// <c>[Traced]</c> on its type, then <c>[assembly: TracedNamespace]</c>.
    /// </summary>
    private static Rule? FindRule(IMethodSymbol method, Compilation compilation)
    {
        if (method.MethodKind != MethodKind.Ordinary)
        {
            return null;
        }
        ImmutableArray<AttributeData> own = AttributesOf(method);
        if (Find(own, "NoTraceAttribute") is not null)
        {
            return null;
        }
        if (Find(own, "EffectAttribute") is { } effect)
        {
            return new Rule { Effect = effect };
        }
        if (Find(own, "TracedAttribute") is { } traced)
        {
            return new Rule { Traced = traced };
        }
        INamedTypeSymbol type = method.ContainingType;
        ImmutableArray<AttributeData> typeAttributes = AttributesOf(type);
        if (Find(typeAttributes, "NoTraceAttribute") is not null || !IsWideCandidate(method))
        {
            return null;
        }
        if (Find(typeAttributes, "TracedAttribute") is { } typeTraced)
        {
            return new Rule { WideKind = NamedInt(typeTraced, "Kind", 1) };
        }
        if (SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, compilation.Assembly))
        {
            foreach (AttributeData attribute in compilation.Assembly.GetAttributes())
            {
                if (IsOtelGenAttribute(attribute, "TracedNamespaceAttribute") && NamespaceRuleMatches(attribute, type))
                {
                    return new Rule();
                }
            }
        }
        return null;
    }

    /// <summary>Which methods a wide rule (type or assembly) covers: public, ordinary, written by the user.</summary>
    private static bool IsWideCandidate(IMethodSymbol method)
    {
        if (method.DeclaredAccessibility != Accessibility.Public || method.IsImplicitlyDeclared)
        {
            return false;
        }
        if (method.IsStatic && method.Name == "Main")
        {
            return false;
        }
        // ToString/Equals/GetHashCode overrides run in string formatting and collections: too noisy to trace by default.
        for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (overridden.ContainingType.SpecialType == SpecialType.System_Object)
            {
                return false;
            }
        }
        return true;
    }

    internal static bool NamespaceRuleMatches(AttributeData attribute, INamedTypeSymbol type)
    {
        string wanted = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string ns ? ns : string.Empty;
        bool includeNested = NamedBool(attribute, "IncludeSubnamespaces", true);
        string? typeFilter = NamedString(attribute, "TypeNames");
        string actual = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        bool namespaceMatches = wanted.Length == 0
            || actual == wanted
            || (includeNested && actual.StartsWith(wanted + ".", StringComparison.Ordinal));
        if (!namespaceMatches)
        {
            return false;
        }
        if (string.IsNullOrEmpty(typeFilter))
        {
            return true;
        }
        foreach (string pattern in typeFilter!.Split(';'))
        {
            if (pattern.Trim() is { Length: > 0 } p && Wildcard(p, type.Name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Matches a name against a pattern where <c>*</c> stands for any run of characters.</summary>
    internal static bool Wildcard(string pattern, string name)
    {
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (p < pattern.Length && pattern[p] == name[n])
            {
                p++;
                n++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    // ---------------------------------------------------------------- attribute arguments

    private static string? NamedString(AttributeData attribute, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return argument.Value.Value as string;
            }
        }
        return null;
    }

    private static bool NamedBool(AttributeData attribute, string name, bool fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is bool value)
            {
                return value;
            }
        }
        return fallback;
    }

    private static int NamedInt(AttributeData attribute, string name, int fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is { } value)
            {
                return Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return fallback;
    }

    private static string KindName(int kind) => kind switch
    {
        0 => "Unspecified",
        2 => "Server",
        3 => "Client",
        4 => "Producer",
        5 => "Consumer",
        _ => "Internal",
    };

    // ---------------------------------------------------------------- shapes

    /// <summary>Why a method cannot be instrumented (the descriptor and its message arguments), or null.</summary>
    internal static (DiagnosticDescriptor Descriptor, string[] Arguments)? FindUnsupported(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        string name = DisplayName(method);
        if (method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction)
        {
            return (Diagnostics.Inaccessible, new[] { name, "a local function or lambda" });
        }
        if (method.IsAsync && method.ReturnsVoid)
        {
            return (Diagnostics.AsyncVoid, new[] { name });
        }
        if (IsAsyncStream(method.ReturnType))
        {
            return (Diagnostics.Iterator, new[] { name, "an async stream (" + method.ReturnType.ToDisplayString() + ")" });
        }
        if (IsIterator(method, cancellationToken))
        {
            return (Diagnostics.Iterator, new[] { name, "an iterator (it uses yield)" });
        }
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            return (Diagnostics.UnsupportedSignature, new[] { name, "it returns by reference", "Return the value instead, or trace the method that uses the reference" });
        }
        if (method.IsVararg || UsesPointers(method))
        {
            return (Diagnostics.UnsupportedSignature, new[] { name, "its signature uses pointers or __arglist", "Wrap it in a method with a managed signature and trace that" });
        }
        if (ShapeOf(method) == ReturnShape.Value && IsOtherAwaitable(method.ReturnType))
        {
            return (Diagnostics.UnsupportedSignature, new[] { name, "it returns the awaitable '" + method.ReturnType.ToDisplayString() + "', whose completion the span cannot follow", "Return Task, Task<T>, ValueTask or ValueTask<T>" });
        }
        if (method.IsStatic && (method.IsAbstract || method.IsVirtual) && method.ContainingType?.TypeKind == TypeKind.Interface)
        {
            return (Diagnostics.UnsupportedSignature, new[] { name, "it is a static abstract or virtual interface member, called through a type parameter", "Trace the implementations instead" });
        }
        if (method.ContainingType is { TypeKind: TypeKind.Extension })
        {
            return (Diagnostics.UnsupportedSignature, new[] { name, "it is declared in an extension block", "Declare it as a classic extension method (static, with a this parameter)" });
        }
        if (InaccessibleReason(method) is { } reason && !CanUseAccessor(method, compilation))
        {
            if (reason is "private" or "protected" && method.MethodKind == MethodKind.Ordinary)
            {
                reason += " and [UnsafeAccessor] cannot reach it (generic, virtual, in a generic type, using private types, a target before .NET 8, or in a static class before .NET 10)";
            }
            return (Diagnostics.Inaccessible, new[] { name, reason });
        }
        return null;
    }

    /// <summary>
    /// Whether a private or protected method can be called through <c>[UnsafeAccessor]</c> (.NET 8+): a
    /// non-virtual, non-generic method of a non-generic class whose signature only uses types visible
    /// assembly-wide (a static class's method also needs [UnsafeAccessorType], .NET 10+). Anything else
    /// stays OTG1004.
    /// </summary>
    private static bool CanUseAccessor(IMethodSymbol method, Compilation compilation)
    {
        if (method.DeclaredAccessibility is not (Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            || method.MethodKind != MethodKind.Ordinary || method.IsGenericMethod || method.IsExtensionMethod
            || method.IsVirtual || method.IsAbstract || method.IsOverride || method.ContainingType.TypeKind != TypeKind.Class)
        {
            return false;
        }
        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType || type.IsFileLocal || type.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return false;
            }
        }
        if (compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.UnsafeAccessorAttribute") is not { } accessor
            || !compilation.IsSymbolAccessibleWithin(accessor, compilation.Assembly))
        {
            return false;
        }
        // A static class cannot be a parameter type: its methods are named through [UnsafeAccessorType] (.NET 10+).
        if (method.ContainingType.IsStatic
            && compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.UnsafeAccessorTypeAttribute") is null)
        {
            return false;
        }
        if (!method.ReturnsVoid && !compilation.IsSymbolAccessibleWithin(method.ReturnType, compilation.Assembly))
        {
            return false;
        }
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (!compilation.IsSymbolAccessibleWithin(parameter.Type, compilation.Assembly))
            {
                return false;
            }
        }
        return true;
    }

    private static string? InaccessibleReason(IMethodSymbol method)
    {
        switch (method.DeclaredAccessibility)
        {
            case Accessibility.Private:
                return "private";
            case Accessibility.Protected:
            case Accessibility.ProtectedAndInternal:
                return "protected";
        }
        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsFileLocal)
            {
                return "declared in a file-local type";
            }
            if (type.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return "declared in the non-public nested type '" + type.Name + "'";
            }
        }
        return null;
    }

    private static bool UsesPointers(IMethodSymbol method)
    {
        if (method.ReturnType.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
        {
            return true;
        }
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsAsyncStream(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "IAsyncEnumerable" or "IAsyncEnumerator", Arity: 1 } named
        && named.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic";

    private static bool IsIterator(IMethodSymbol method, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            SyntaxNode? body = BodyOf(reference.GetSyntax(cancellationToken));
            if (body is not null && OwnDescendants(body).Any(n => n is YieldStatementSyntax))
            {
                return true;
            }
        }
        return false;
    }

    private static SyntaxNode? BodyOf(SyntaxNode declaration) => declaration switch
    {
        MethodDeclarationSyntax method => (SyntaxNode?)method.Body ?? method.ExpressionBody,
        LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
        _ => null,
    };

    /// <summary>Descendants of a body, not entering nested lambdas and local functions (their yields are theirs).</summary>
    private static IEnumerable<SyntaxNode> OwnDescendants(SyntaxNode body) =>
        body.DescendantNodes(n => n == body || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax));

    private static bool IsOtherAwaitable(ITypeSymbol type)
    {
        foreach (ISymbol member in type.GetMembers("GetAwaiter"))
        {
            if (member is IMethodSymbol { IsStatic: false, Parameters.Length: 0 })
            {
                return true;
            }
        }
        return false;
    }

    private static ReturnShape ShapeOf(IMethodSymbol method)
    {
        if (method.ReturnsVoid)
        {
            return ReturnShape.Void;
        }
        if (method.ReturnType is INamedTypeSymbol { ContainingNamespace: { } ns } named && ns.ToDisplayString() == "System.Threading.Tasks")
        {
            switch (named.Name, named.Arity)
            {
                case ("Task", 0): return ReturnShape.Task;
                case ("Task", 1): return ReturnShape.TaskOfT;
                case ("ValueTask", 0): return ReturnShape.ValueTask;
                case ("ValueTask", 1): return ReturnShape.ValueTaskOfT;
            }
        }
        return ReturnShape.Value;
    }

    internal static string DisplayName(IMethodSymbol method) =>
        method.ContainingType is { } type ? type.Name + "." + method.Name : method.Name;

    // ---------------------------------------------------------------- the target model

    private static TargetModel BuildTarget(IMethodSymbol method, Rule rule, Compilation compilation, CancellationToken cancellationToken)
    {
        INamedTypeSymbol type = method.ContainingType;
        ReturnShape shape = ShapeOf(method);
        string resultType = shape is ReturnShape.TaskOfT or ReturnShape.ValueTaskOfT
            ? ((INamedTypeSymbol)method.ReturnType).TypeArguments[0].ToDisplayString(s_typeFormat)
            : shape == ReturnShape.Value ? method.ReturnType.ToDisplayString(s_typeFormat) : string.Empty;

        var typeParameters = new List<TypeParameterModel>();
        var containing = new List<INamedTypeSymbol>();
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            containing.Insert(0, t);
        }
        foreach (INamedTypeSymbol t in containing)
        {
            foreach (ITypeParameterSymbol parameter in t.TypeParameters)
            {
                typeParameters.Add(new TypeParameterModel(parameter.Name, Constraints(parameter)));
            }
        }
        foreach (ITypeParameterSymbol parameter in method.TypeParameters)
        {
            typeParameters.Add(new TypeParameterModel(parameter.Name, Constraints(parameter)));
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
            string refKind = parameter.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.Out => "out ",
                RefKind.In => "in ",
                RefKind.RefReadOnlyParameter => "ref readonly ",
                _ => string.Empty,
            };
            string argumentKind = parameter.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.Out => "out ",
                RefKind.In or RefKind.RefReadOnlyParameter => "in ",
                _ => string.Empty,
            };
            string prefix = (method.IsExtensionMethod && parameter.Ordinal == 0 ? "this " : string.Empty)
                + (parameter.ScopedKind != ScopedKind.None && parameter.RefKind != RefKind.Out ? "scoped " : string.Empty); // out is implicitly scoped
            parameters.Add(new ParameterModel(name, prefix + refKind + parameter.Type.ToDisplayString(s_typeFormat) + " " + name, argumentKind + name));

            if (Find(AttributesOf(parameter), "TagAttribute") is { } tag
                && tag.ConstructorArguments.Length > 0 && tag.ConstructorArguments[0].Value is string key
                && Classify(parameter.Type, NamedBool(tag, "UseToString", false), out bool nullableValue, out _) is { } kind)
            {
                captures.Add(new CaptureModel(key, name, kind, nullableValue, parameter.RefKind == RefKind.Out));
            }
        }

        AccessorKind accessor = InaccessibleReason(method) is null ? AccessorKind.None : method.IsStatic ? AccessorKind.StaticMethod : AccessorKind.Method;
        string typeArguments = method.TypeParameters.Length == 0 ? string.Empty : "<" + string.Join(", ", method.TypeParameters.Select(p => p.Name)) + ">";
        string callTarget = receiver == ReceiverKind.None
            ? type.ToDisplayString(s_typeFormat) + "." + Identifier(method.Name) + typeArguments
            : "@this." + Identifier(method.Name) + typeArguments;

        SpanModel span = BuildSpan(method, rule, out string? returnKey);
        CaptureModel? returnCapture = null;
        if (returnKey is not null && ReturnTagProblem(method, out ITypeSymbol? valueType) is null
            && Classify(valueType!, false, out bool returnNullable, out _) is { } returnKind)
        {
            returnCapture = new CaptureModel(returnKey, "result", returnKind, returnNullable, AfterCall: true);
        }

        bool flow = shape != ReturnShape.Value && shape != ReturnShape.Void || NeedsFlow(method, compilation, cancellationToken);

        return new TargetModel(
            Key: method.GetDocumentationCommentId() ?? method.ToDisplayString(),
            TypeName: type.Name,
            MethodName: method.Name,
            Receiver: receiver,
            ReceiverType: receiver == ReceiverKind.None ? string.Empty : type.ToDisplayString(s_typeFormat),
            ReturnType: method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(s_typeFormat),
            Shape: shape,
            ResultType: resultType,
            TypeParameters: new EquatableArray<TypeParameterModel>(typeParameters),
            Parameters: new EquatableArray<ParameterModel>(parameters),
            CallTarget: callTarget,
            Accessor: accessor,
            DeclaringType: type.ToDisplayString(s_typeFormat),
            AccessorTypeName: accessor != AccessorKind.None && type.IsStatic ? RuntimeTypeName(type, compilation) : string.Empty,
            Flow: flow,
            Span: span,
            Captures: new EquatableArray<CaptureModel>(captures),
            ReturnCapture: returnCapture);
    }

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

    private static string Constraints(ITypeParameterSymbol parameter)
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
            parts.Add(constraint.ToDisplayString(s_typeFormat));
        }
        if (parameter.HasConstructorConstraint)
        {
            parts.Add("new()");
        }
        if (parameter.AllowsRefLikeType)
        {
            parts.Add("allows ref struct");
        }
        return parts.Count == 0 ? string.Empty : "where " + parameter.Name + " : " + string.Join(", ", parts);
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
            return new SpanModel(name, KindName(NamedInt(effect, "Kind", 3)), !NamedBool(effect, "Required", true), new EquatableArray<ConstantAttribute>(attributes));
        }
        attributes.Add(new ConstantAttribute("code.function.name", functionName));
        if (rule.Traced is { } traced)
        {
            string? given = traced.ConstructorArguments.Length > 0 ? traced.ConstructorArguments[0].Value as string : null;
            returnKey = NamedString(traced, "ReturnTag");
            return new SpanModel(string.IsNullOrEmpty(given) ? defaultName : given!, KindName(NamedInt(traced, "Kind", 1)), false, new EquatableArray<ConstantAttribute>(attributes));
        }
        returnKey = null;
        return new SpanModel(defaultName, KindName(rule.WideKind), false, new EquatableArray<ConstantAttribute>(attributes));
    }

    // ---------------------------------------------------------------- captures

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
            case SpecialType.System_UIntPtr:
                return CaptureKind.Long;
            case SpecialType.System_UInt64:
                return CaptureKind.UnsignedLong;
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
                    return CaptureKind.ArrayToLong;
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

    // ---------------------------------------------------------------- forks

    private static readonly HashSet<string> s_forkMethods = new(StringComparer.Ordinal)
    {
        "Run", "StartNew", "For", "ForEach", "Invoke", "ForEachAsync", "QueueUserWorkItem", "UnsafeQueueUserWorkItem", "ContinueWith", "AsParallel",
    };

    private static readonly HashSet<string> s_forkTypes = new(StringComparer.Ordinal)
    {
        "System.Threading.Tasks.Task", "System.Threading.Tasks.Task`1", "System.Threading.Tasks.TaskFactory", "System.Threading.Tasks.TaskFactory`1",
        "System.Threading.Tasks.Parallel", "System.Threading.ThreadPool", "System.Linq.ParallelEnumerable",
    };

    /// <summary>
    /// Whether a synchronous body may hand work to another thread (or cannot be seen), so its span must also
    /// be current for the async flow rather than only on this thread's stack.
    /// </summary>
    private static bool NeedsFlow(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        INamedTypeSymbol type = method.ContainingType;
        if (method.IsAbstract || method.IsVirtual || method.IsExtern || type.TypeKind == TypeKind.Interface
            || (method.IsOverride && !method.IsSealed && !type.IsSealed))
        {
            return true;
        }
        IMethodSymbol withBody = method.PartialImplementationPart ?? method;
        if (withBody.IsPartialDefinition || withBody.DeclaringSyntaxReferences.IsEmpty)
        {
            return true;
        }
        foreach (SyntaxReference reference in withBody.DeclaringSyntaxReferences)
        {
            SyntaxNode? body = BodyOf(reference.GetSyntax(cancellationToken));
            if (body is null)
            {
                return true;
            }
            SemanticModel? model = null;
            foreach (SyntaxNode node in body.DescendantNodes())
            {
                if (!IsForkCandidate(node))
                {
                    continue;
                }
                model ??= compilation.GetSemanticModel(body.SyntaxTree);
                if (IsFork(node, model, cancellationToken))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Whether a node in a body is worth a semantic look for a fork (what NeedsFlow binds, and what a file's shape records).</summary>
    internal static bool IsForkCandidate(SyntaxNode node) => node switch
    {
        InvocationExpressionSyntax invocation => IsForkName(CalledName(invocation)),
        MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Result" } => true,
        ObjectCreationExpressionSyntax creation => RightmostName(creation.Type) == "Thread",
        ImplicitObjectCreationExpressionSyntax => true,
        _ => false,
    };

    // Names worth a semantic look: the fork APIs, and what sync-over-async code calls (x.Wait(), GetAwaiter(), *Async()).
    private static bool IsForkName(string name) =>
        s_forkMethods.Contains(name) || name is "Wait" or "WaitAll" or "WaitAny" or "GetAwaiter" || name.EndsWith("Async", StringComparison.Ordinal);

    private static bool IsFork(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        SymbolInfo info = model.GetSymbolInfo(node, cancellationToken);
        ISymbol? symbol = info.Symbol ?? (info.CandidateSymbols.Length > 0 ? info.CandidateSymbols[0] : null);
        if (symbol is IPropertySymbol property)
        {
            // task.Result: the task's work may resume on another thread while this one blocks.
            return IsTaskType(property.ContainingType);
        }
        if (symbol is not IMethodSymbol called)
        {
            // A call we cannot resolve that looks like a fork: assume it is one.
            return node is InvocationExpressionSyntax;
        }
        string typeName = MetadataName(called.ContainingType);
        if (called.MethodKind == MethodKind.Constructor)
        {
            return typeName == "System.Threading.Thread";
        }
        if (s_forkMethods.Contains(called.Name) && s_forkTypes.Contains(typeName))
        {
            return true;
        }
        // Sync over async: a call that starts asynchronous work (returns a task) or waits for one. Its
        // continuations run on other threads and must find this span through the async flow.
        return IsTaskType(called.ReturnType) || IsTaskType(called.ContainingType);
    }

    private static bool IsTaskType(ITypeSymbol? type) =>
        type is INamedTypeSymbol { Name: "Task" or "ValueTask", ContainingNamespace: { } ns } && ns.ToDisplayString() == "System.Threading.Tasks";

    private static string MetadataName(INamedTypeSymbol type) =>
        (type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." : string.Empty) + type.MetadataName;

    internal static string CalledName(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        _ => string.Empty,
    };

    private static string RightmostName(TypeSyntax type) => type switch
    {
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => string.Empty,
    };

    // ---------------------------------------------------------------- declarations (diagnostics only)

    /// <summary>
    /// The OTG1xxx checks of one attributed declaration: a method or local function with <c>[Traced]</c> or
    /// <c>[Effect]</c> (checked once per attribute type, as separate attribute searches would), a parameter with <c>[Tag]</c>.
    /// </summary>
    private static void CheckDeclaredSymbol(SyntaxNode node, SemanticModel model, ref List<DiagnosticModel>? diagnostics, CancellationToken cancellationToken)
    {
        switch (model.GetDeclaredSymbol(node, cancellationToken))
        {
            case IMethodSymbol method:
                ImmutableArray<AttributeData> own = method.GetAttributes();
                foreach (string name in new[] { "TracedAttribute", "EffectAttribute" })
                {
                    if (AttributesOn(own, node, name) is { Count: > 0 } matching)
                    {
                        CheckDeclaration(method, matching, model.Compilation, ref diagnostics, cancellationToken);
                    }
                }
                break;
            case IParameterSymbol parameter when AttributesOn(parameter.GetAttributes(), node, "TagAttribute") is { Count: > 0 } tags:
                CheckTag(parameter, tags, ref diagnostics);
                break;
        }
    }

    /// <summary>The OtelGen attributes of this name written on this very declaration (not on another part of a partial method).</summary>
    private static List<AttributeData>? AttributesOn(ImmutableArray<AttributeData> attributes, SyntaxNode node, string name)
    {
        List<AttributeData>? found = null;
        foreach (AttributeData attribute in attributes)
        {
            if (IsOtelGenAttribute(attribute, name)
                && attribute.ApplicationSyntaxReference is { } reference
                && reference.SyntaxTree == node.SyntaxTree
                && node.Span.Contains(reference.Span))
            {
                (found ??= new List<AttributeData>()).Add(attribute);
            }
        }
        return found;
    }

    /// <summary>Checks a method that carries <c>[Traced]</c> or <c>[Effect]</c> itself: unsupported shapes and ReturnTag.</summary>
    private static void CheckDeclaration(IMethodSymbol method, List<AttributeData> attributes, Compilation compilation, ref List<DiagnosticModel>? diagnostics, CancellationToken cancellationToken)
    {
        if (Find(AttributesOf(method), "NoTraceAttribute") is not null)
        {
            return;
        }
        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        if (FindUnsupported(method, compilation, cancellationToken) is { } unsupported)
        {
            (diagnostics ??= new List<DiagnosticModel>()).Add(Diagnostics.Create(unsupported.Descriptor, location, unsupported.Arguments));
        }
        foreach (AttributeData attribute in attributes)
        {
            if (NamedString(attribute, "ReturnTag") is not null && ReturnTagProblem(method, out _) is { } problem)
            {
                Location at = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? location;
                (diagnostics ??= new List<DiagnosticModel>()).Add(Diagnostics.Create(Diagnostics.ReturnTagType, at, DisplayName(method), problem));
            }
        }
    }

    /// <summary>Checks a <c>[Tag]</c> parameter: its type must be recordable.</summary>
    private static void CheckTag(IParameterSymbol parameter, List<AttributeData> attributes, ref List<DiagnosticModel>? diagnostics)
    {
        foreach (AttributeData attribute in attributes)
        {
            if (Classify(parameter.Type, NamedBool(attribute, "UseToString", false), out _, out string? problem) is null)
            {
                (diagnostics ??= new List<DiagnosticModel>()).Add(Diagnostics.Create(Diagnostics.TagType, parameter.Locations.FirstOrDefault(), parameter.Name, parameter.Type.ToDisplayString(), problem!));
            }
        }
    }
}
