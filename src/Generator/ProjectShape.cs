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
// bodies of methods (the only body facts a target model reads) and on the references and options. Of the
// other files' declarations, F can only reach those with a name F writes, plus a project-wide part that needs
// no name in F (type attributes, base lists, partial type headers, conversions and operators, indexers,
// members the language calls by pattern such as GetEnumerator, global usings, assembly attributes). The step
// that binds F is therefore keyed on F's syntax tree and on a hash of exactly that (FileKey); it carries the
// compilation only weakly and leaves it out of its equality, so that an edit inside a method body, in a
// comment, or to declarations F cannot name leaves F's binding Cached.

/// <summary>
/// What a file's call-site binding depends on: the file itself, the declarations of the files that declare a
/// name it refers to, the project-wide part of every file's declarations, references and options, and which of
/// the traced names it refers to. Equal from run to run unless one of these changed.
/// </summary>
internal sealed class FileKey : IEquatable<FileKey>
{
    public FileKey(CompilationUnitSyntax unit, long dependencies, CompilationShape compilation, TracedNames names)
    {
        Unit = unit;
        Dependencies = dependencies;
        Compilation = compilation;
        Names = names;
    }

    public CompilationUnitSyntax Unit { get; }

    public long Dependencies { get; }

    public CompilationShape Compilation { get; }

    /// <summary>The traced names this file refers to: only calls by these names are bound.</summary>
    public TracedNames Names { get; }

    public bool Equals(FileKey? other) =>
        other is not null && ReferenceEquals(Unit, other.Unit) && Dependencies == other.Dependencies && Compilation.Equals(other.Compilation) && Names.Equals(other.Names);

    public override bool Equals(object? obj) => Equals(obj as FileKey);

    public override int GetHashCode() => Unit.GetHashCode();
}

/// <summary>A file's key and the compilation of the run, equal when the keys are (see the note at the top).</summary>
internal sealed class FileInput : IEquatable<FileInput>
{
    private readonly CompilationRef _compilation;

    public FileInput(FileKey key, CompilationRef compilation)
    {
        Key = key;
        _compilation = compilation;
    }

    public FileKey Key { get; }

    public CompilationUnitSyntax Unit => Key.Unit;

    public TracedNames Names => Key.Names;

    /// <summary>
    /// The compilation of the run that created this input. Read only while binding, which happens in that run
    /// (the driver holds the compilation then); a cached input keeps no older compilation alive.
    /// </summary>
    public Compilation Compilation => _compilation.Target;

    // The compilation is left out on purpose: see the note at the top of this file.
    public bool Equals(FileInput? other) => other is not null && Key.Equals(other.Key);

    public override bool Equals(object? obj) => Equals(obj as FileInput);

    public override int GetHashCode() => Key.GetHashCode();
}

/// <summary>The project shape with a weak handle on the compilation, equal when the shape is: what the traced names are computed from.</summary>
internal sealed class ShapeInput : IEquatable<ShapeInput>
{
    private readonly CompilationRef _compilation;

    public ShapeInput(ProjectShape shape, CompilationRef compilation)
    {
        Shape = shape;
        _compilation = compilation;
    }

    public ProjectShape Shape { get; }

    public Compilation Compilation => _compilation.Target;

    public bool Equals(ShapeInput? other) => other is not null && Shape.Equals(other.Shape);

    public override bool Equals(object? obj) => Equals(obj as ShapeInput);

    public override int GetHashCode() => Shape.GetHashCode();
}

/// <summary>A weak handle on the current compilation, new on every run (compared by reference).</summary>
internal sealed class CompilationRef
{
    private readonly WeakReference<Compilation> _reference;

    public CompilationRef(Compilation compilation) => _reference = new WeakReference<Compilation>(compilation);

    /// <summary>The compilation; read only during the run that made this handle, while the driver holds it.</summary>
    public Compilation Target =>
        _reference.TryGetTarget(out Compilation? compilation) ? compilation : throw new InvalidOperationException("The compilation of this run is gone.");
}

/// <summary>What other files can depend on in one file (see <see cref="DeclarationShape"/>).</summary>
internal sealed record FileShape(long Declarations, long Global, EquatableArray<string> Declared, EquatableArray<string> Referenced);

/// <summary>A file and its shape; the shape is derived from the file, so the file's identity is the equality.</summary>
internal sealed class ShapedFile : IEquatable<ShapedFile>
{
    public ShapedFile(CompilationUnitSyntax unit, FileShape shape)
    {
        Unit = unit;
        Shape = shape;
    }

    public CompilationUnitSyntax Unit { get; }

    public FileShape Shape { get; }

    public bool Equals(ShapedFile? other) => other is not null && ReferenceEquals(Unit, other.Unit);

    public override bool Equals(object? obj) => Equals(obj as ShapedFile);

    public override int GetHashCode() => Unit.GetHashCode();
}

/// <summary>The shape of every file plus what the compilation adds (references, options); equal across body edits.</summary>
internal sealed class ProjectShape : IEquatable<ProjectShape>
{
    private readonly FileShape[] _files;
    // Built on first use (only when some file's key is computed), published whole so a second reader sees all of it.
    private NameIndex? _index;

    public ProjectShape(FileShape[] files, CompilationShape compilation)
    {
        _files = files;
        Compilation = compilation;
    }

    public CompilationShape Compilation { get; }

    /// <summary>
    /// A hash of what <paramref name="file"/>'s calls can depend on: the project-wide parts, and the declarations of
    /// every file that declares a name the file refers to (in any order, so adding an unrelated file changes nothing).
    /// </summary>
    public long DependenciesOf(FileShape file)
    {
        NameIndex names = _index ??= NameIndex.Of(_files);
        var found = new List<long>();
        var seen = new HashSet<int>();
        foreach (string name in file.Referenced)
        {
            if (names.DeclaredBy.TryGetValue(name, out List<int>? files))
            {
                foreach (int index in files)
                {
                    if (seen.Add(index))
                    {
                        found.Add(_files[index].Declarations);
                    }
                }
            }
        }
        found.Sort();
        long hash = names.Global;
        foreach (long declarations in found)
        {
            hash = unchecked(hash * 1099511628211L ^ declarations);
        }
        return hash;
    }

    private sealed class NameIndex
    {
        private NameIndex(Dictionary<string, List<int>> declaredBy, long global)
        {
            DeclaredBy = declaredBy;
            Global = global;
        }

        /// <summary>Which files (by position) declare each name.</summary>
        public Dictionary<string, List<int>> DeclaredBy { get; }

        /// <summary>The project-wide parts of all files, in any order.</summary>
        public long Global { get; }

        public static NameIndex Of(FileShape[] files)
        {
            var declaredBy = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            var globals = new List<long>();
            for (int i = 0; i < files.Length; i++)
            {
                foreach (string name in files[i].Declared)
                {
                    if (!declaredBy.TryGetValue(name, out List<int>? declaring))
                    {
                        declaredBy[name] = declaring = new List<int>();
                    }
                    declaring.Add(i);
                }
                if (files[i].Global != DeclarationShape.EmptyGlobal)
                {
                    globals.Add(files[i].Global);
                }
            }
            globals.Sort();
            long global = 17;
            foreach (long g in globals)
            {
                global = unchecked(global * 1099511628211L ^ g);
            }
            return new NameIndex(declaredBy, global);
        }
    }

    public bool Equals(ProjectShape? other)
    {
        if (other is null || _files.Length != other._files.Length || !Compilation.Equals(other.Compilation))
        {
            return false;
        }
        for (int i = 0; i < _files.Length; i++)
        {
            if (!_files[i].Equals(other._files[i]))
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as ProjectShape);

    public override int GetHashCode() => _files.Length;
}

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
    /// <summary>The project-wide part of a file that has none.</summary>
    public static readonly long EmptyGlobal = new Fnv().Value;

    // Members the language calls without the caller writing their name (foreach, await, deconstruction, using,
    // collection initializers, queries, ranges): a change to one can retype a receiver in any file.
    private static readonly HashSet<string> s_patternNames = new(StringComparer.Ordinal)
    {
        "GetEnumerator", "GetAsyncEnumerator", "MoveNext", "MoveNextAsync", "Current", "GetAwaiter", "GetResult", "IsCompleted", "OnCompleted",
        "UnsafeOnCompleted", "Deconstruct", "Dispose", "DisposeAsync", "Add", "Select", "SelectMany", "Where", "Join", "GroupJoin", "GroupBy",
        "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "Cast", "Slice", "Length", "Count", "GetPinnableReference", "Create", "Invoke",
    };

    public static FileShape Of(CompilationUnitSyntax unit, CancellationToken cancellationToken)
    {
        var hash = new Fnv();
        var global = new Fnv();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
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
                global.Add('G');
                AddDirectives(ref hash, node);
                AddReferences(node, referenced);
            }
            else if (IsBody(node))
            {
                hash.Add('B');
                AddDirectives(ref hash, node);
                if (node.Parent is MethodDeclarationSyntax)
                {
                    AddBodyFacts(ref hash, node);
                }
                AddReferences(node, referenced);
            }
            else
            {
                AddDeclaration(node, declared, referenced, ref global);
            }
        }
        return new FileShape(hash.Value, global.Value, Sorted(declared), Sorted(referenced));
    }

    private static EquatableArray<string> Sorted(HashSet<string> names)
    {
        string[] sorted = names.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return new EquatableArray<string>(sorted);
    }

    /// <summary>
    /// Sorts one node outside bodies: the names it declares, the names it refers to, and what goes to the
    /// project-wide part (whatever another file can depend on without writing one of its names).
    /// </summary>
    private static void AddDeclaration(SyntaxNode node, HashSet<string> declared, HashSet<string> referenced, ref Fnv global)
    {
        switch (node)
        {
            case IdentifierNameSyntax or GenericNameSyntax when !IsNamespaceName(node):
                string name = ((SimpleNameSyntax)node).Identifier.ValueText;
                referenced.Add(name);
                if (node.Parent is AttributeSyntax)
                {
                    referenced.Add(name + "Attribute");
                }
                break;
            case BaseTypeDeclarationSyntax type:
                declared.Add(type.Identifier.ValueText);
                // Attributes ([Traced], [NoTrace]), base lists (inherited members) and partial headers reach
                // members declared elsewhere: every file depends on them.
                AddTokens(ref global, type.AttributeLists);
                if (type.BaseList is { } baseList)
                {
                    global.Add(type.Identifier.ValueText);
                    AddTokens(ref global, baseList);
                }
                if (type.Modifiers.Any(m => m.ValueText == "partial"))
                {
                    global.Add(type.Identifier.ValueText);
                    foreach (SyntaxToken modifier in type.Modifiers)
                    {
                        global.Add(modifier.Text);
                    }
                    if (type is TypeDeclarationSyntax { ConstraintClauses.Count: > 0 } constrained)
                    {
                        AddTokens(ref global, constrained.ConstraintClauses);
                    }
                }
                break;
            case DelegateDeclarationSyntax d:
                declared.Add(d.Identifier.ValueText);
                break;
            case MethodDeclarationSyntax method:
                Declare(method.Identifier.ValueText, method, declared, ref global);
                break;
            case PropertyDeclarationSyntax property:
                Declare(property.Identifier.ValueText, property, declared, ref global);
                break;
            case EventDeclarationSyntax e:
                Declare(e.Identifier.ValueText, e, declared, ref global);
                break;
            case VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax fieldDeclaration } field:
                Declare(field.Identifier.ValueText, fieldDeclaration, declared, ref global);
                break;
            case EnumMemberDeclarationSyntax member:
                declared.Add(member.Identifier.ValueText);
                break;
            case OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax or IndexerDeclarationSyntax or DestructorDeclarationSyntax:
                // Conversions and operators take part in any overload resolution, indexers in any element access.
                AddTokensOutsideBodies(ref global, node);
                break;
            case UsingDirectiveSyntax { GlobalKeyword.RawKind: not 0 } globalUsing:
                AddTokens(ref global, globalUsing);
                break;
            case AttributeListSyntax { Target: { } target } when target.Identifier.ValueText is "assembly" or "module":
                AddTokens(ref global, node);
                break;
        }
    }

    private static void Declare(string name, SyntaxNode declaration, HashSet<string> declared, ref Fnv global)
    {
        declared.Add(name);
        if (s_patternNames.Contains(name))
        {
            AddTokensOutsideBodies(ref global, declaration);
        }
    }

    // namespace A.B { }: these names declare nothing another file could bind a call to.
    private static bool IsNamespaceName(SyntaxNode node)
    {
        for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is BaseNamespaceDeclarationSyntax ns)
            {
                return ns.Name.Span.Contains(node.Span);
            }
            if (current is not NameSyntax)
            {
                return false;
            }
        }
        return false;
    }

    private static void AddReferences(SyntaxNode body, HashSet<string> referenced)
    {
        foreach (SyntaxNode node in body.DescendantNodes())
        {
            if (node is SimpleNameSyntax simple)
            {
                referenced.Add(simple.Identifier.ValueText);
                if (node.Parent is AttributeSyntax)
                {
                    referenced.Add(simple.Identifier.ValueText + "Attribute");
                }
            }
        }
    }

    private static void AddTokens<TNode>(ref Fnv hash, SyntaxList<TNode> nodes) where TNode : SyntaxNode
    {
        foreach (TNode node in nodes)
        {
            AddTokens(ref hash, node);
        }
    }

    private static void AddTokens(ref Fnv hash, SyntaxNode node)
    {
        foreach (SyntaxToken token in node.DescendantTokens())
        {
            hash.Add(token.Text);
        }
    }

    private static void AddTokensOutsideBodies(ref Fnv hash, SyntaxNode node)
    {
        foreach (SyntaxToken token in node.DescendantTokens(static n => !IsBody(n)))
        {
            hash.Add(token.Text);
        }
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
