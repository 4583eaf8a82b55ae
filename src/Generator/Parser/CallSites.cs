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

internal static partial class Parser
{
    // Invocations.

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
}
