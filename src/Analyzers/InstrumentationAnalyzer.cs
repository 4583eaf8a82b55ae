using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using OtelGen.Analyzers.SemConv;
using OtelGen.Generator;

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

            start.RegisterSymbolAction(c => CheckMethod(c, attributes), SymbolKind.Method);
            // Coverage (OTG3001, OTG3005) only where the generator runs (not with OtelGenGenerator=false).
            if (InstrumentationRules.For(start.Compilation, start.Options) is not { } rules)
            {
                return;
            }

            var state = new CoverageState(rules);
            start.RegisterOperationAction(c => state.OnInvocation(c), OperationKind.Invocation, OperationKind.DynamicInvocation);
            start.RegisterOperationAction(c => state.OnMethodReference(c), OperationKind.MethodReference);
            start.RegisterCompilationEndAction(c => c.ReportDiagnostic(
                Diagnostic.Create(Descriptors.CoverageSummary, Location.None, state.Instrumented, state.Total)));
        });
    }

    /// <summary>
    /// Counts the uses of instrumented methods (M) and the calls the generator intercepts (N), by the generator's own
    /// inspection, and flags the uses that are not calls by name (OTG3001). Calls by name that the generator does not
    /// intercept are InterceptionAnalyzer's OTG1007; an attribute that asks for an unsupported shape is reported on the
    /// declaration (OTG1001-OTG1004, OTG1009). Both count in M and not in N.
    /// </summary>
    private sealed class CoverageState
    {
        private const string ExpressionTreeReason = "it is inside an expression tree, which is data handed to a LINQ provider, not a call an interceptor can replace";

        private readonly InstrumentationRules _rules;
        private int _total;
        private int _reached;

        public CoverageState(InstrumentationRules rules) => _rules = rules;

        public int Total => Volatile.Read(ref _total);

        public int Instrumented => Volatile.Read(ref _reached);

        public void OnInvocation(OperationAnalysisContext context)
        {
            IOperation operation = context.Operation;
            CancellationToken cancellationToken = context.CancellationToken;
            if (operation.Syntax is InvocationExpressionSyntax call && Parser.IsCandidateInvocation(call, cancellationToken))
            {
                CallInspection inspection = _rules.Inspect(call, operation.SemanticModel!, cancellationToken);
                switch (inspection.Outcome)
                {
                    case CallOutcome.Intercepted:
                        Interlocked.Increment(ref _reached);
                        Interlocked.Increment(ref _total);
                        break;
                    case CallOutcome.ExpressionTree:
                        Interlocked.Increment(ref _total);
                        Report(context, operation.Syntax, inspection.Method!, ExpressionTreeReason);
                        break;
                    case CallOutcome.NotInstrumented:
                        break;
                    default:
                        Interlocked.Increment(ref _total);
                        break;
                }

                return;
            }

            // Not a call by name: the compiler writes it (collection initializer, query clause), or the method is not named.
            if (operation is not IInvocationOperation invocation || _rules.Of(invocation.TargetMethod, cancellationToken) is not { } instrumentation)
            {
                return;
            }

            Interlocked.Increment(ref _total);
            if (instrumentation.Unsupported is not null)
            {
                return; // the declaration says why
            }

            string reason = Parser.IsInExpressionTree(operation.Syntax, operation.SemanticModel!, cancellationToken) ? ExpressionTreeReason
                : operation.Syntax is InvocationExpressionSyntax ? "the method is not called by name here, and only calls written by name can be intercepted"
                : "the compiler makes this call implicitly (collection initializer, query clause), and only calls written by name can be intercepted";
            Report(context, operation.Syntax, invocation.TargetMethod, reason);
        }

        public void OnMethodReference(OperationAnalysisContext context)
        {
            var reference = (IMethodReferenceOperation)context.Operation;
            if (_rules.Of(reference.Method, context.CancellationToken) is not { } instrumentation || InNameOf(reference))
            {
                return;
            }

            Interlocked.Increment(ref _total);
            if (instrumentation.Unsupported is not null)
            {
                return;
            }

            string reason = Parser.IsInExpressionTree(reference.Syntax, reference.SemanticModel!, context.CancellationToken) ? ExpressionTreeReason
                : reference.Parent is IDelegateCreationOperation creation
                    ? "the method group is converted to a delegate" + (creation.Type is { } t ? " ('" + t.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) + "')" : string.Empty)
                        + ", and calls through a delegate bypass the interceptor; call it from a lambda instead"
                    : "its address is taken, and calls through a function pointer bypass the interceptor";
            Report(context, reference.Syntax, reference.Method, reason);
        }

        private static void Report(OperationAnalysisContext context, SyntaxNode syntax, IMethodSymbol method, string reason) =>
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.NotInstrumentedUse, syntax.GetLocation(), method.Name, reason));

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
