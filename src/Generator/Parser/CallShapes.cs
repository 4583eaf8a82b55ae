using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace OtelGen.Generator;

// Shared: this file is compiled into the generator and, linked, into OtelGen.Analyzers. The generator intercepts
// exactly the calls InspectCall calls Intercepted; the analyzers report the others from the same answer.

/// <summary>What the generator makes of a call written by name.</summary>
internal enum CallOutcome
{
    /// <summary>No rule instruments the method (or a wide rule skips its shape).</summary>
    NotInstrumented,
    /// <summary>An attribute asks for a shape the generator cannot instrument: the declaration is reported (OTG1001-OTG1004, OTG1009).</summary>
    Unsupported,
    /// <summary>The call is inside an expression tree: data, not a call (OTG3001).</summary>
    ExpressionTree,
    /// <summary>The method is instrumented but this call cannot be intercepted (OTG1007, with the reason).</summary>
    NotTraced,
    /// <summary>The generator intercepts the call.</summary>
    Intercepted,
}

/// <summary>How a method is instrumented: its rule, and why it cannot be when an attribute asks for an unsupported shape.</summary>
internal sealed class Instrumentation
{
    public Instrumentation(Parser.Rule rule, (DiagnosticDescriptor Descriptor, string[] Arguments)? unsupported)
    {
        Rule = rule;
        Unsupported = unsupported;
    }

    public Parser.Rule Rule { get; }

    public (DiagnosticDescriptor Descriptor, string[] Arguments)? Unsupported { get; }
}

/// <summary>The answer for one call: the outcome, the called method (its definition) and its rule, and for the generator the location to intercept.</summary>
internal readonly struct CallInspection
{
    public CallInspection(CallOutcome outcome, IMethodSymbol? method = null, Parser.Rule? rule = null, string? reason = null, InterceptableLocation? location = null)
    {
        Outcome = outcome;
        Method = method;
        Rule = rule;
        Reason = reason;
        Location = location;
    }

    public CallOutcome Outcome { get; }

    public IMethodSymbol? Method { get; }

    public Parser.Rule? Rule { get; }

    /// <summary>For <see cref="CallOutcome.NotTraced"/>: why, as OTG1007 says it.</summary>
    public string? Reason { get; }

    public InterceptableLocation? Location { get; }
}

internal static partial class Parser
{
    // Call shapes: which calls of an instrumented method an interceptor can replace.

    /// <summary>The cheap syntactic filter: a call by name (member access, plain or generic name, or ?.).</summary>
    public static bool IsCandidateInvocation(SyntaxNode node, CancellationToken _) =>
        node is InvocationExpressionSyntax
        {
            Expression: MemberAccessExpressionSyntax or IdentifierNameSyntax or GenericNameSyntax or MemberBindingExpressionSyntax,
        };

    /// <summary>How <paramref name="method"/> (a definition) is instrumented, or null when no rule covers it or a wide rule skips its shape.</summary>
    internal static Instrumentation? InstrumentationOf(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        if (FindRule(method, compilation) is not { } rule)
        {
            return null;
        }
        var unsupported = FindUnsupported(method, compilation, cancellationToken);
        // Wide rules skip what they cannot instrument, silently; an attribute that asks for it is reported on the declaration.
        return unsupported is not null && !rule.IsExplicit ? null : new Instrumentation(rule, unsupported);
    }

    /// <summary>Inspects a call by name (<see cref="IsCandidateInvocation"/>), deciding per method with <see cref="InstrumentationOf"/>.</summary>
    internal static CallInspection InspectCall(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken) =>
        InspectCall(invocation, model, m => InstrumentationOf(m, model.Compilation, cancellationToken), cancellationToken);

    /// <summary>
    /// Inspects a call by name. <paramref name="instrumentationOf"/> answers for a method definition (the analyzers
    /// pass a per-compilation cache of <see cref="InstrumentationOf"/>).
    /// </summary>
    internal static CallInspection InspectCall(InvocationExpressionSyntax invocation, SemanticModel model, Func<IMethodSymbol, Instrumentation?> instrumentationOf, CancellationToken cancellationToken)
    {
        SymbolInfo info = model.GetSymbolInfo(invocation, cancellationToken);
        // A call with a dynamic argument is bound at run time (one candidate may still be reported as the symbol).
        bool lateBound = info.CandidateReason == CandidateReason.LateBound;
        IMethodSymbol? method = null;
        Instrumentation? instrumentation = null;
        if (info.Symbol is IMethodSymbol called)
        {
            method = Definition(called);
            instrumentation = instrumentationOf(method);
        }
        else if (lateBound)
        {
            foreach (ISymbol candidate in info.CandidateSymbols)
            {
                if (candidate is IMethodSymbol m && instrumentationOf(Definition(m)) is { } found)
                {
                    (method, instrumentation) = (Definition(m), found);
                    break;
                }
            }
        }
        if (method is null || instrumentation is null)
        {
            return new CallInspection(CallOutcome.NotInstrumented, method);
        }
        Rule rule = instrumentation.Rule;
        if (instrumentation.Unsupported is not null)
        {
            return new CallInspection(CallOutcome.Unsupported, method, rule);
        }
        if (lateBound)
        {
            return new CallInspection(CallOutcome.NotTraced, method, rule,
                "an argument is dynamic, so the call is bound at run time and no interceptor can replace it; cast the dynamic arguments to the parameter types to make it an ordinary call");
        }
        if (invocation.Expression is MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax })
        {
            return new CallInspection(CallOutcome.NotTraced, method, rule,
                "a base. call runs one specific implementation and an interceptor could only make a virtual call; trace the base method's other call sites, or call a traced helper");
        }
        if (IsInExpressionTree(invocation, model, cancellationToken))
        {
            return new CallInspection(CallOutcome.ExpressionTree, method, rule);
        }
        if (!method.IsStatic && !method.IsExtensionMethod && BoxedReceiver(invocation, model, cancellationToken) is { } typeParameter)
        {
            string through = method.ContainingType is { } type ? type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) : method.Name;
            return new CallInspection(CallOutcome.NotTraced, method, rule,
                "the receiver is of type parameter '" + typeParameter.Name + "', which may be a struct, and an interceptor can only take it as '" + through
                + "': it would call a boxed copy and a change the method makes to the struct would be lost; constrain '" + typeParameter.Name
                + "' to class, or trace a method that takes the struct by ref (for example the generic method that makes this call)");
        }
        if (model.GetInterceptableLocation(invocation, cancellationToken) is not { } location)
        {
            return new CallInspection(CallOutcome.NotTraced, method, rule,
                "the compiler cannot intercept a call of this form; call the method directly by name");
        }
        return new CallInspection(CallOutcome.Intercepted, method, rule, location: location);
    }

    /// <summary>
    /// The receiver's type when it is a type parameter not known to be a reference type (a struct, perhaps):
    /// an interceptor of a method declared on an interface or a base type would receive it boxed.
    /// </summary>
    private static ITypeParameterSymbol? BoxedReceiver(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        ExpressionSyntax? receiver = invocation.Expression switch
        {
            MemberAccessExpressionSyntax member => member.Expression,
            MemberBindingExpressionSyntax => ConditionalReceiver(invocation),
            _ => null, // an implicit this: the method's own type, which the interceptor takes by ref when it is a struct
        };
        ITypeSymbol? type = receiver is null ? null : model.GetTypeInfo(receiver, cancellationToken).Type;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }
        return type is ITypeParameterSymbol { IsReferenceType: false } parameter ? parameter : null;
    }

    /// <summary>For <c>x?.M()</c>: <c>x</c>, the expression the nearest conditional access tests.</summary>
    private static ExpressionSyntax? ConditionalReceiver(SyntaxNode node)
    {
        for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is ConditionalAccessExpressionSyntax conditional && conditional.WhenNotNull.Span.Contains(node.Span))
            {
                return conditional.Expression;
            }
        }
        return null;
    }

    /// <summary>The name the diagnostics of a call point at: <c>M</c> in <c>x.M()</c>, <c>x?.M()</c> and <c>M()</c>.</summary>
    internal static SyntaxNode NameOf(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name,
        MemberBindingExpressionSyntax binding => binding.Name,
        _ => invocation.Expression,
    };

    /// <summary>
    /// Whether a node sits in a lambda that is converted to an expression tree, written as a lambda or made by a
    /// query clause over an IQueryable (the one check, for the generator and the analyzers).
    /// </summary>
    internal static bool IsInExpressionTree(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is AnonymousFunctionExpressionSyntax lambda
                && model.GetTypeInfo(lambda, cancellationToken).ConvertedType is INamedTypeSymbol converted
                && IsExpressionType(converted))
            {
                return true;
            }
            if (current is QueryExpressionSyntax)
            {
                // The lambdas of query clauses have no syntax of their own: ask the operation tree.
                for (IOperation? operation = model.GetOperation(node, cancellationToken); operation is not null; operation = operation.Parent)
                {
                    if (operation is IAnonymousFunctionOperation && operation.Parent?.Type is INamedTypeSymbol target && IsExpressionType(target))
                    {
                        return true;
                    }
                }
                return false;
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
    internal static IMethodSymbol Definition(IMethodSymbol called) => (called.ReducedFrom ?? called).OriginalDefinition;
}
