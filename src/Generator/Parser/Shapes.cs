using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

internal static partial class Parser
{
    // Shapes.

    /// <summary>Why a method cannot be instrumented (the descriptor and its message arguments), or null.</summary>
    internal static (DiagnosticDescriptor Descriptor, string[] Arguments)? FindUnsupported(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        string name = DisplayName(method);
        if (NotCalledByName(method) is { } notCalled)
        {
            return (Diagnostics.NotCalledByName, notCalled);
        }
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            return (Diagnostics.Inaccessible, new[] { name, "a local function", "Make it a method of the type (a private method is called through [UnsafeAccessor])" });
        }
        if (method.ExplicitInterfaceImplementations.Length > 0)
        {
            string member = DisplayName(method.ExplicitInterfaceImplementations[0]);
            return (Diagnostics.Inaccessible, new[] { name, "an explicit interface implementation, which callers reach only through '" + member + "'", "Put the attribute on '" + member + "' to trace the calls through the interface" });
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
        if (IsStaticInterfaceMember(method))
        {
            return (Diagnostics.UnsupportedSignature, new[] { name, "it is a static abstract or virtual interface member, called through a type parameter (T." + method.Name + "()), which an interceptor cannot dispatch", "Trace the generic method that makes the call, or trace the implementations and call them through their type (calls through T stay untraced and are reported as OTG1007)" });
        }
        if (method.ContainingType is { TypeKind: TypeKind.Extension })
        {
            return (Diagnostics.UnsupportedSignature, new[] { name, "it is declared in an extension block", "Declare it as a classic extension method (static, with a this parameter)" });
        }
        if (InaccessibleReason(method) is { } reason && !CanUseAccessor(method, compilation))
        {
            string advice = reason is "private" or "protected" ? "Make it internal (or public)" : "Make the type internal (or public)";
            if (reason is "private" or "protected")
            {
                reason += " and [UnsafeAccessor] cannot reach it (generic, virtual, in a generic type, using private types, a target before .NET 8, or in a static class before .NET 10)";
            }
            return (Diagnostics.Inaccessible, new[] { name, reason, advice });
        }
        return null;
    }

    /// <summary>
    /// The message arguments of OTG1009 for a method that callers never call by name (an accessor, an operator, a
    /// conversion, a finalizer, a lambda, a constructor), or null for a method they do.
    /// </summary>
    private static string[]? NotCalledByName(IMethodSymbol method)
    {
        string owner = method.ContainingType is { } type ? DisplayName(type) : string.Empty;
        string member = method.AssociatedSymbol is { } associated ? owner + "." + associated.Name : owner;
        const string methodAdvice = "Move the work into a method and trace that method";
        return method.MethodKind switch
        {
            MethodKind.PropertyGet or MethodKind.PropertySet => new[] { "the property accessor '" + member + "." + (method.MethodKind == MethodKind.PropertyGet ? "get" : method.IsInitOnly ? "init" : "set") + "'", "it runs where the property is read or written", methodAdvice },
            MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise => new[] { "the event accessor '" + member + "." + (method.MethodKind == MethodKind.EventAdd ? "add" : method.MethodKind == MethodKind.EventRemove ? "remove" : "raise") + "'", "it runs where a handler is added or removed", methodAdvice },
            MethodKind.UserDefinedOperator => new[] { "the operator '" + owner + "." + method.Name + "'", "it runs where the operator is written", "Trace a method the operator calls" },
            MethodKind.Conversion => new[] { "the conversion '" + owner + "." + method.Name + "'", "it runs where the value is converted", "Trace a method the conversion calls" },
            MethodKind.Destructor => new[] { "the finalizer of '" + owner + "'", "the garbage collector runs it", "Trace Dispose, or the method that releases the resource" },
            MethodKind.AnonymousFunction => new[] { "a lambda", "it runs through a delegate", "Trace a method the lambda calls, or move its body into a method and trace that" },
            MethodKind.Constructor or MethodKind.StaticConstructor => new[] { "the constructor of '" + owner + "'", "it runs where the object is created", "Trace a factory method, or a method the constructor calls" },
            _ => null,
        };
    }

    /// <summary>A static abstract or static virtual interface member: called through a type parameter, which no interceptor can dispatch.</summary>
    internal static bool IsStaticInterfaceMember(IMethodSymbol method) =>
        method.IsStatic && (method.IsAbstract || method.IsVirtual) && method.ContainingType?.TypeKind == TypeKind.Interface;

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

    internal static bool IsIterator(IMethodSymbol method, CancellationToken cancellationToken)
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

    /// <summary>
    /// "Type.Method", as messages name a method: a member of an extension block is named by the static class that
    /// declares the block, an explicit interface implementation by the member's own name.
    /// </summary>
    internal static string DisplayName(IMethodSymbol method)
    {
        string name = method.ExplicitInterfaceImplementations.Length > 0 ? method.ExplicitInterfaceImplementations[0].Name : method.Name;
        return method.ContainingType is { } type ? DisplayName(type) + "." + name : name;
    }

    private static string DisplayName(INamedTypeSymbol type) =>
        type.TypeKind == TypeKind.Extension && type.ContainingType is { } declaring ? declaring.Name : type.Name;
}
