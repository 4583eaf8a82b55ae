using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

// Why these exist: binding a call needs the compilation, and the compilation changes on every keystroke, so
// a step fed with it reruns for every file. What a call in file F binds to, and what the generator makes of
// the method it binds to, depends only on F itself, on the declarations of the other files (types, member
// signatures, attributes, usings: everything outside method bodies), on the fork calls and yields inside the
// bodies of methods (the only body facts a target model reads) and on the references and options. The step
// that binds F is therefore keyed on F's syntax tree and on that "shape" of the project; it carries the
// compilation only weakly and leaves it out of its equality, so that an edit inside a method body, or in
// comments, leaves every other file's binding Cached.

/// <summary>What a file's call-site binding depends on: the file, and the shape of the whole project.</summary>
internal sealed class FileInput : IEquatable<FileInput>
{
    private readonly WeakReference<Compilation> _compilation;

    public FileInput(CompilationUnitSyntax unit, ProjectShape shape, TracedNames names, CompilationRef compilation)
    {
        Unit = unit;
        Shape = shape;
        Names = names;
        _compilation = compilation.Reference;
    }

    public CompilationUnitSyntax Unit { get; }

    public ProjectShape Shape { get; }

    /// <summary>Derived from the shape (declarations and references), so it adds no reason to bind again.</summary>
    public TracedNames Names { get; }

    /// <summary>
    /// The compilation of the run that created this input. Read only while binding, which happens in that run
    /// (the driver holds the compilation then); a cached input keeps no older compilation alive.
    /// </summary>
    public Compilation Compilation =>
        _compilation.TryGetTarget(out Compilation? compilation) ? compilation : throw new InvalidOperationException("The compilation of this run is gone.");

    // The compilation is left out on purpose: see the note at the top of this file.
    public bool Equals(FileInput? other) => other is not null && ReferenceEquals(Unit, other.Unit) && Shape.Equals(other.Shape) && Names.Equals(other.Names);

    public override bool Equals(object? obj) => Equals(obj as FileInput);

    public override int GetHashCode() => Unit.GetHashCode();
}

/// <summary>The project shape with a weak handle on the compilation, equal when the shape is: what the traced names are computed from.</summary>
internal sealed class ShapeInput : IEquatable<ShapeInput>
{
    private readonly WeakReference<Compilation> _compilation;

    public ShapeInput(ProjectShape shape, CompilationRef compilation)
    {
        Shape = shape;
        _compilation = compilation.Reference;
    }

    public ProjectShape Shape { get; }

    public Compilation Compilation =>
        _compilation.TryGetTarget(out Compilation? compilation) ? compilation : throw new InvalidOperationException("The compilation of this run is gone.");

    public bool Equals(ShapeInput? other) => other is not null && Shape.Equals(other.Shape);

    public override bool Equals(object? obj) => Equals(obj as ShapeInput);

    public override int GetHashCode() => Shape.GetHashCode();
}

/// <summary>A weak handle on the current compilation, new on every run (compared by reference).</summary>
internal sealed class CompilationRef
{
    public CompilationRef(Compilation compilation) => Reference = new WeakReference<Compilation>(compilation);

    public WeakReference<Compilation> Reference { get; }
}

/// <summary>The declaration shape of every file, in order, plus what the compilation adds (references, options).</summary>
internal sealed record ProjectShape(EquatableArray<long> Files, CompilationShape Compilation);

/// <summary>References (by identity), options and assembly name: equal from one keystroke to the next.</summary>
internal sealed class CompilationShape : IEquatable<CompilationShape>
{
    private readonly MetadataReference[] _references;
    private readonly CompilationOptions _options;
    private readonly string? _assemblyName;

    public CompilationShape(Compilation compilation)
    {
        _references = compilation.References.ToArray();
        _options = compilation.Options;
        _assemblyName = compilation.AssemblyName;
    }

    public bool Equals(CompilationShape? other)
    {
        if (other is null || _references.Length != other._references.Length || _assemblyName != other._assemblyName || !_options.Equals(other._options))
        {
            return false;
        }
        for (int i = 0; i < _references.Length; i++)
        {
            if (!ReferenceEquals(_references[i], other._references[i]))
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as CompilationShape);

    public override int GetHashCode() => _references.Length;
}

/// <summary>
/// A 64-bit hash of what other files can see of one file: every token outside member bodies, every
/// preprocessor directive, and, for method bodies, only their fork calls and yields (NeedsFlow and the iterator
/// check read those of a traced method). Comments, whitespace and the rest of bodies do not count.
/// </summary>
internal static class DeclarationShape
{
    public static long Of(CompilationUnitSyntax unit, CancellationToken cancellationToken)
    {
        var hash = new Fnv();
        foreach (SyntaxNodeOrToken item in unit.DescendantNodesAndTokens(static n => !IsBody(n) && n is not GlobalStatementSyntax))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (item.IsToken)
            {
                Add(ref hash, item.AsToken());
                continue;
            }
            SyntaxNode node = item.AsNode()!;
            if (node is GlobalStatementSyntax)
            {
                // Top-level statements declare nothing other files can use; that they exist does (Program).
                hash.Add('G');
                AddDirectives(ref hash, node);
            }
            else if (IsBody(node))
            {
                hash.Add('B');
                AddDirectives(ref hash, node);
                if (node.Parent is MethodDeclarationSyntax)
                {
                    AddBodyFacts(ref hash, node);
                }
            }
        }
        return hash.Value;
    }

    private static bool IsBody(SyntaxNode node) =>
        node is BlockSyntax or ArrowExpressionClauseSyntax
        && node.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax;

    private static void AddBodyFacts(ref Fnv hash, SyntaxNode body)
    {
        foreach (SyntaxNode node in body.DescendantNodes())
        {
            if (node is YieldStatementSyntax)
            {
                hash.Add('Y');
            }
            else if (Parser.IsForkCandidate(node))
            {
                hash.Add('F');
                // The part that decides what the candidate binds to: the callee, the member access, the created type.
                SyntaxNode key = node switch
                {
                    InvocationExpressionSyntax invocation => invocation.Expression,
                    ObjectCreationExpressionSyntax creation => creation.Type,
                    ImplicitObjectCreationExpressionSyntax implicitCreation => (SyntaxNode?)implicitCreation.FirstAncestorOrSelf<StatementSyntax>() ?? implicitCreation,
                    _ => node,
                };
                foreach (SyntaxToken token in key.DescendantTokens())
                {
                    Add(ref hash, token);
                }
            }
        }
    }

    private static void Add(ref Fnv hash, SyntaxToken token)
    {
        hash.Add((char)token.RawKind);
        hash.Add(token.Text);
        if (token.ContainsDirectives)
        {
            foreach (SyntaxTrivia trivia in token.LeadingTrivia.Concat(token.TrailingTrivia))
            {
                if (trivia.IsDirective)
                {
                    hash.Add(trivia.ToFullString());
                }
            }
        }
    }

    // #nullable or #if inside a body stays in force after it: keep directives wherever they are.
    private static void AddDirectives(ref Fnv hash, SyntaxNode node)
    {
        if (!node.ContainsDirectives)
        {
            return;
        }
        foreach (SyntaxTrivia trivia in node.DescendantTrivia())
        {
            if (trivia.IsDirective)
            {
                hash.Add(trivia.ToFullString());
            }
        }
    }

    private struct Fnv
    {
        private ulong _value;

        public Fnv() => _value = 14695981039346656037UL;

        public readonly long Value => unchecked((long)_value);

        public void Add(char c) => _value = unchecked((_value ^ c) * 1099511628211UL);

        public void Add(string text)
        {
            foreach (char c in text)
            {
                Add(c);
            }
            Add('\u0001');
        }
    }
}
