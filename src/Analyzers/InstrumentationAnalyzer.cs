using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using OtelGen.Analyzers.SemConv;

namespace OtelGen.Analyzers;

/// <summary>
/// Keeps the generator honest: flags uses of instrumented methods that no interceptor can reach, checks
/// <c>[Effect]</c> arguments and sensitive captures, and reports per compilation how many call sites are instrumented.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class InstrumentationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.NotInstrumentedUse,
        Descriptors.EffectOperationName,
        Descriptors.EffectTarget,
        Descriptors.SensitiveCapture,
        Descriptors.CoverageSummary);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        // Generated code is excluded on purpose: the interceptors themselves call the original methods.
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var attributes = new OtelGenAttributes(start.Compilation);
            if (attributes.Traced is null && attributes.Effect is null)
            {
                return;
            }

            var state = new CoverageState(attributes);
            start.RegisterOperationAction(c => state.OnInvocation(c), OperationKind.Invocation);
            start.RegisterOperationAction(c => state.OnMethodReference(c), OperationKind.MethodReference);
            start.RegisterSymbolAction(c => CheckMethod(c, attributes), SymbolKind.Method);
            start.RegisterCompilationEndAction(c => c.ReportDiagnostic(
                Diagnostic.Create(Descriptors.CoverageSummary, Location.None, state.Instrumented, state.Total)));
        });
    }

    private sealed class CoverageState
    {
        private readonly OtelGenAttributes _attributes;
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _instrumented = new(SymbolEqualityComparer.Default);
        private int _total;
        private int _reached;

        public CoverageState(OtelGenAttributes attributes) => _attributes = attributes;

        public int Total => Volatile.Read(ref _total);

        public int Instrumented => Volatile.Read(ref _reached);

        private bool IsInstrumented(IMethodSymbol method)
        {
            method = (method.ReducedFrom ?? method).OriginalDefinition;
            return _instrumented.GetOrAdd(method, m => _attributes.IsInstrumented(m));
        }

        public void OnInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (!IsInstrumented(invocation.TargetMethod))
            {
                return;
            }

            Interlocked.Increment(ref _total);
            if (InExpressionTree(invocation))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.NotInstrumentedUse,
                    invocation.Syntax.GetLocation(),
                    invocation.TargetMethod.Name,
                    "it is inside an expression tree, which is data handed to a LINQ provider, not a call an interceptor can replace"));
                return;
            }

            if (invocation.Syntax is not InvocationExpressionSyntax call)
            {
                // Collection-initializer Add, query clauses (Select, Where, ...): the compiler writes these calls.
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.NotInstrumentedUse,
                    invocation.Syntax.GetLocation(),
                    invocation.TargetMethod.Name,
                    "the compiler makes this call implicitly (collection initializer, query clause), and only calls written by name can be intercepted"));
                return;
            }

            // The generator intercepts calls by name (a.M(), M(), M<T>(), a?.M()) and reports base.M() itself (OTG1007).
            if (call.Expression is not (MemberAccessExpressionSyntax or IdentifierNameSyntax or GenericNameSyntax or MemberBindingExpressionSyntax)
                || call.Expression is MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax })
            {
                if (call.Expression is not MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax })
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.NotInstrumentedUse,
                        invocation.Syntax.GetLocation(),
                        invocation.TargetMethod.Name,
                        "the method is not called by name here, and only calls written by name can be intercepted"));
                }

                return;
            }

            Interlocked.Increment(ref _reached);
        }

        public void OnMethodReference(OperationAnalysisContext context)
        {
            var reference = (IMethodReferenceOperation)context.Operation;
            if (!IsInstrumented(reference.Method) || InNameOf(reference))
            {
                return;
            }

            Interlocked.Increment(ref _total);
            string reason = reference.Parent is IDelegateCreationOperation creation
                ? "the method group is converted to a delegate" + (creation.Type is { } t ? " ('" + t.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) + "')" : string.Empty)
                    + ", and calls through a delegate bypass the interceptor; call it from a lambda instead"
                : "its address is taken, and calls through a function pointer bypass the interceptor";
            if (InExpressionTree(reference))
            {
                reason = "it is inside an expression tree, which is data handed to a LINQ provider, not a call an interceptor can replace";
            }

            context.ReportDiagnostic(Diagnostic.Create(Descriptors.NotInstrumentedUse, reference.Syntax.GetLocation(), reference.Method.Name, reason));
        }

        private static bool InNameOf(IOperation operation)
        {
            for (IOperation? p = operation.Parent; p is not null; p = p.Parent)
            {
                if (p is INameOfOperation)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether an operation sits in a lambda that is converted to an expression tree.</summary>
    internal static bool InExpressionTree(IOperation operation)
    {
        for (IOperation? p = operation.Parent; p is not null; p = p.Parent)
        {
            if (p is IAnonymousFunctionOperation && p.Parent is { Type: { } target } && IsExpressionType(target))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsExpressionType(ITypeSymbol type)
    {
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (t.Name == "LambdaExpression" && t.ContainingNamespace?.ToDisplayString() == "System.Linq.Expressions")
            {
                return true;
            }
        }

        return false;
    }

    private static void CheckMethod(SymbolAnalysisContext context, OtelGenAttributes known)
    {
        var method = (IMethodSymbol)context.Symbol;
        Location fallback = method.Locations.Length > 0 ? method.Locations[0] : Location.None;
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (known.Effect is not null && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, known.Effect))
            {
                CheckEffect(context, method, attribute, fallback);
            }
        }

        if (known.Tag is null)
        {
            return;
        }

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            foreach (AttributeData attribute in parameter.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, known.Tag) || SensitiveNames.Reason(parameter) is not { } reason)
                {
                    continue;
                }

                Location location = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) is AttributeSyntax syntax
                    ? syntax.GetLocation()
                    : parameter.Locations.Length > 0 ? parameter.Locations[0] : fallback;
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.SensitiveCapture, location, parameter.Name, reason));
            }
        }
    }

    private static void CheckEffect(SymbolAnalysisContext context, IMethodSymbol method, AttributeData attribute, Location fallback)
    {
        if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string operation && !IsOperationName(operation))
        {
            string? fixedName = KeyNaming.ToSnakeCase(operation);
            bool fixable = fixedName is not null && IsOperationName(fixedName);
            Location location = KeySinks.ArgumentLocation(attribute, 0, null, fallback) ?? fallback;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.EffectOperationName,
                location,
                fixable ? ImmutableDictionary<string, string?>.Empty.Add(Descriptors.ReplacementProperty, fixedName) : null,
                operation,
                fixable ? ": use '" + fixedName + "'" : string.Empty));
        }

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key != "Target" || named.Value.IsNull || named.Value.Value is not string target)
            {
                continue;
            }

            string? problem = null;
            if (target.Trim().Length == 0)
            {
                problem = "is empty: name what the operation acts on (Target = \"blog_post\"), or leave Target out and capture the parameter that holds it ([Tag(\"db.collection.name\")])";
            }
            else if (target.IndexOf('{') >= 0 && target.IndexOf('}') > target.IndexOf('{'))
            {
                problem = "'" + target + "' is recorded as written: the generator does not substitute parameters; leave Target out and capture the parameter ([Tag(\"db.collection.name\")])";
            }
            else if (IsNameOfParameter(attribute, method, context.CancellationToken))
            {
                problem = "nameof(" + target + ") records the parameter's name, not its value; leave Target out and capture the parameter ([Tag(\"db.collection.name\")])";
            }

            if (problem is not null)
            {
                Location location = KeySinks.ArgumentLocation(attribute, null, "Target", fallback) ?? fallback;
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.EffectTarget, location, problem));
            }
        }
    }

    private static bool IsNameOfParameter(AttributeData attribute, IMethodSymbol method, System.Threading.CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } list })
        {
            return false;
        }

        foreach (AttributeArgumentSyntax argument in list.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == "Target"
                && argument.Expression is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" }, ArgumentList.Arguments.Count: 1 } nameOf
                && nameOf.ArgumentList.Arguments[0].Expression is IdentifierNameSyntax name)
            {
                foreach (IParameterSymbol p in method.Parameters)
                {
                    if (p.Name == name.Identifier.ValueText)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary><c>&lt;system&gt;.&lt;operation&gt;</c>: two or more lowercase snake_case parts separated by dots.</summary>
    internal static bool IsOperationName(string name)
    {
        if (!KeyNaming.IsValid(name) || name.IndexOf('.') < 0)
        {
            return false;
        }

        foreach (string part in name.Split('.'))
        {
            if (part[0] is < 'a' or > 'z')
            {
                return false;
            }
        }

        return true;
    }
}
