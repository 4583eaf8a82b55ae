using Microsoft.CodeAnalysis;

namespace OtelGen.Generator;

/// <summary>What InterceptionAnalyzer reads of the generator's parser (compiled into this assembly) beyond its internal members.</summary>
internal static partial class Parser
{
    /// <summary>Why ReturnTag cannot record the method's return value, or null: the check the generator applies when it builds the capture.</summary>
    internal static string? ReturnTagProblem(IMethodSymbol method) => ReturnTagProblem(method, out _);
}
