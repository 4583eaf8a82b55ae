using System.Collections.Concurrent;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.Generator;

namespace OtelGen.Analyzers;

/// <summary>
/// The generator's rule for one compilation (<see cref="Parser.InstrumentationOf"/>, the same code the generator runs),
/// cached per method, for the analyzers that report what the generator does and does not instrument.
/// </summary>
internal sealed class InstrumentationRules
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<IMethodSymbol, Instrumentation?> _byMethod = new(SymbolEqualityComparer.Default);

    private InstrumentationRules(Compilation compilation) => _compilation = compilation;

    /// <summary>The rules of a compilation that references OtelGen, or null.</summary>
    public static InstrumentationRules? For(Compilation compilation) =>
        compilation.GetTypeByMetadataName("OtelGen.TracedAttribute") is null ? null : new InstrumentationRules(compilation);

    /// <summary>How a method is instrumented (any form of it: it is reduced to its definition), or null.</summary>
    public Instrumentation? Of(IMethodSymbol method, CancellationToken cancellationToken)
    {
        IMethodSymbol definition = Parser.Definition(method);
        if (!_byMethod.TryGetValue(definition, out Instrumentation? found))
        {
            found = _byMethod.GetOrAdd(definition, Parser.InstrumentationOf(definition, _compilation, cancellationToken));
        }
        return found;
    }

    /// <summary>Inspects a call by name as the generator does.</summary>
    public CallInspection Inspect(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken) =>
        Parser.InspectCall(invocation, model, m => Of(m, cancellationToken), cancellationToken);
}
