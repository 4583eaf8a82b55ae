using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

internal static partial class Parser
{
    // Invocations.

    /// <summary>
    /// Binds every candidate call of one file. Runs only when the file changed or the project's declarations did
    /// (<see cref="FileInput"/>), so an edit elsewhere reuses this file's results without binding anything.
    /// Only intercepted calls come out: what cannot be traced is OtelGen.Analyzers' to report (OTG1xxx), from the
    /// same inspection (<see cref="InspectCall(InvocationExpressionSyntax, SemanticModel, CancellationToken)"/>).
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
        List<CallSiteModel>? results = null;
        foreach (SyntaxNode node in input.Unit.DescendantNodes())
        {
            // Only a call written with the name of an instrumented method can bind to one: skip the rest unbound.
            if (IsCandidateInvocation(node, cancellationToken) && input.Names.Contains(CalledName((InvocationExpressionSyntax)node)))
            {
                model ??= compilation.GetSemanticModel(input.Unit.SyntaxTree);
                if (ParseCallSite((InvocationExpressionSyntax)node, model, cancellationToken) is { } result)
                {
                    (results ??= new List<CallSiteModel>()).Add(result);
                }
            }
        }
        return results is null
            ? FileResult.Empty
            : new FileResult(new EquatableArray<CallSiteModel>(results));
    }

    /// <summary>The semantic transform of one call: the call site to intercept, or null for a call the generator does not intercept.</summary>
    public static CallSiteModel? ParseCallSite(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        CallInspection call = InspectCall(invocation, model, cancellationToken);
        if (call.Outcome != CallOutcome.Intercepted)
        {
            return null;
        }
        // For an override traced through its base's attribute, the interceptor takes the override's own type,
        // as the compiler requires of an interceptor of a call bound to the override.
        TargetModel target = BuildTarget(call.Method!, call.Rule!, model.Compilation, cancellationToken);
        FileLinePositionSpan line = NameOf(invocation).GetLocation().GetLineSpan();
        return new CallSiteModel(
            target,
            call.Location!.Version,
            call.Location.Data,
            Path.GetFileName(invocation.SyntaxTree.FilePath),
            line.StartLinePosition.Line + 1,
            line.StartLinePosition.Character + 1,
            CallText(invocation));
    }

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
}
