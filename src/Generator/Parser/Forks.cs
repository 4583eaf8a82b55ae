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
    // Forks.

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
}
