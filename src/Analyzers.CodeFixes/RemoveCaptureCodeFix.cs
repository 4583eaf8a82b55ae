using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OtelGen.Analyzers.CodeFixes;

/// <summary>Removes the capture attribute from a parameter that looks sensitive (OTG3004).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveCaptureCodeFix)), Shared]
public sealed class RemoveCaptureCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.SensitiveCapture.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            AttributeSyntax? attribute = node as AttributeSyntax ?? node.FirstAncestorOrSelf<AttributeSyntax>();
            if (attribute?.Parent is not AttributeListSyntax { Parent: ParameterSyntax } list)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create("Do not capture this parameter", ct => Remove(context.Document, list, attribute, ct), equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }

    private static async Task<Document> Remove(Document document, AttributeListSyntax list, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || list.Parent is not ParameterSyntax parameter)
        {
            return document;
        }

        ParameterSyntax updated;
        if (list.Attributes.Count == 1)
        {
            // Drop the whole [..] and the space after it; what came before it stays.
            updated = parameter.RemoveNode(list, SyntaxRemoveOptions.KeepNoTrivia)!.WithLeadingTrivia(list.GetLeadingTrivia());
        }
        else
        {
            updated = parameter.ReplaceNode(list, list.RemoveNode(attribute, SyntaxRemoveOptions.KeepNoTrivia)!);
        }

        return document.WithSyntaxRoot(root.ReplaceNode(parameter, updated));
    }
}
