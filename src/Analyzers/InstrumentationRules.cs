using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
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
    private readonly ConcurrentDictionary<IMethodSymbol, IMethodSymbol?> _tracedImplementations = new(SymbolEqualityComparer.Default);
    private List<INamedTypeSymbol>? _sourceTypes;

    private InstrumentationRules(Compilation compilation) => _compilation = compilation;

    /// <summary>
    /// The rules of a compilation that references OtelGen and is built with the generator, or null. A build with
    /// <c>OtelGenGenerator=false</c> (visible to analyzers as <c>build_property.OtelGenGenerator</c>) intercepts
    /// nothing, so what the generator would or would not intercept is not reported there.
    /// </summary>
    public static InstrumentationRules? For(Compilation compilation, AnalyzerOptions options) =>
        compilation.GetTypeByMetadataName("OtelGen.TracedAttribute") is null
        || (options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.OtelGenGenerator", out string? generator)
            && string.Equals(generator.Trim(), "false", System.StringComparison.OrdinalIgnoreCase))
            ? null
            : new InstrumentationRules(compilation);

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

    /// <summary>
    /// Inspects a call by name as the generator does; a call through a type parameter of a static abstract member
    /// whose implementation here is traced (which the generator cannot see from the call) is NotTraced too.
    /// </summary>
    public CallInspection Inspect(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        CallInspection call = Parser.InspectCall(invocation, model, m => Of(m, cancellationToken), cancellationToken);
        if (call.Outcome == CallOutcome.NotInstrumented && call.Method is { } method && Parser.IsStaticInterfaceMember(method)
            && TracedImplementation(method, cancellationToken) is { } implementation)
        {
            return new CallInspection(CallOutcome.NotTraced, method, reason:
                "it calls a static abstract interface member through a type parameter, which no interceptor can dispatch, so the traced implementation '"
                + Parser.DisplayName(implementation) + "' gets no span here; call it through its type (" + implementation.ContainingType.Name + "." + implementation.Name
                + "()), or trace the method that makes this call");
        }
        return call;
    }

    /// <summary>
    /// A traced implementation, in this compilation, of a static abstract or static virtual interface member (which
    /// calls through a type parameter reach without an interceptor), or null.
    /// </summary>
    private IMethodSymbol? TracedImplementation(IMethodSymbol member, CancellationToken cancellationToken)
    {
        member = member.OriginalDefinition;
        if (_tracedImplementations.TryGetValue(member, out IMethodSymbol? found))
        {
            return found;
        }
        found = null;
        foreach (INamedTypeSymbol type in SourceTypes(cancellationToken))
        {
            foreach (INamedTypeSymbol implemented in type.AllInterfaces)
            {
                if (!SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, member.ContainingType))
                {
                    continue;
                }
                foreach (ISymbol candidate in implemented.GetMembers(member.Name))
                {
                    if (SymbolEqualityComparer.Default.Equals(candidate.OriginalDefinition, member)
                        && type.FindImplementationForInterfaceMember(candidate) is IMethodSymbol implementation
                        && Of(implementation, cancellationToken) is { Unsupported: null })
                    {
                        found = implementation;
                        break;
                    }
                }
            }
            if (found is not null)
            {
                break;
            }
        }
        return _tracedImplementations.GetOrAdd(member, found);
    }

    /// <summary>Every type declared in this compilation, collected once, when a call through a type parameter first asks.</summary>
    private List<INamedTypeSymbol> SourceTypes(CancellationToken cancellationToken)
    {
        List<INamedTypeSymbol>? types = Volatile.Read(ref _sourceTypes);
        if (types is not null)
        {
            return types;
        }
        types = new List<INamedTypeSymbol>();
        var pending = new Stack<INamespaceOrTypeSymbol>();
        pending.Push(_compilation.Assembly.GlobalNamespace);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            INamespaceOrTypeSymbol current = pending.Pop();
            if (current is INamedTypeSymbol type)
            {
                types.Add(type);
            }
            foreach (INamedTypeSymbol nested in current.GetTypeMembers())
            {
                pending.Push(nested);
            }
            if (current is INamespaceSymbol ns)
            {
                foreach (INamespaceSymbol inner in ns.GetNamespaceMembers())
                {
                    pending.Push(inner);
                }
            }
        }
        Interlocked.CompareExchange(ref _sourceTypes, types, null);
        return Volatile.Read(ref _sourceTypes)!;
    }
}
