using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OtelGen.Analyzers.CodeFixes;

/// <summary>
/// Rewrites a flagged key (or effect operation) literal to the text the analyzer proposes: the renamed key
/// (OTG2001), the snake_case form (OTG2003), the nearest registered key (OTG2004) or the lowercase operation (OTG3002).
/// Only string literals are rewritten; a constant defined elsewhere is left for the user.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReplaceLiteralCodeFix)), Shared]
public sealed class ReplaceLiteralCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        Descriptors.DeprecatedRenamed.Id, Descriptors.InvalidKeyName.Id, Descriptors.UnknownKey.Id, Descriptors.EffectOperationName.Id);

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
            if (!diagnostic.Properties.TryGetValue(Descriptors.ReplacementProperty, out string? replacement) || replacement is null)
            {
                continue;
            }

            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal
                || !literal.IsKind(SyntaxKind.StringLiteralExpression))
            {
                continue;
            }

            string title = "Use '" + replacement + "'";
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => Rewrite(context.Document, literal, replacement, ct), equivalenceKey: diagnostic.Id + ":" + replacement),
                diagnostic);
        }
    }

    private static async Task<Document> Rewrite(Document document, LiteralExpressionSyntax literal, string replacement, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        LiteralExpressionSyntax updated = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(replacement))
            .WithTriviaFrom(literal);
        return document.WithSyntaxRoot(root.ReplaceNode(literal, updated));
    }
}
