using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.TestSupport;
using Xunit;

namespace OtelGen.Runtime.Tests;

/// <summary>
/// The runtime's folders are layers, each using only the ones below it (docs/architecture.md). The runtime's
/// sources are compiled here with Roslyn and every name in its code (not its doc comments) is bound to the
/// symbol it means; a type, or a member of a type, declared in a file of a higher layer than the file that
/// names it is an upward dependency and fails the test. By folder, not namespace: the public namespaces stay
/// what users and the generated code know (<c>OtelGen</c> holds <c>SpanStatusCode</c>, in Core, and
/// <c>Tracing</c>, at the top).
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Bottom to top. A file belongs to the layer of its first folder under src/Runtime; files directly in src/Runtime are the top.</summary>
    private static readonly (string Layer, string[] Folders)[] s_layers =
    {
        ("Configuration", new[] { "Configuration" }),
        ("Core", new[] { "Context", "Spans" }),
        ("Sampling", new[] { "Sampling" }),
        ("Activities", new[] { "Activities" }),
        ("Jobs", new[] { "Jobs" }),
        ("Metrics", new[] { "Metrics" }),
        ("Folds", new[] { "Folds" }),
        ("Export", new[] { "Export" }),
        ("Tracing", new[] { "" }),
    };

    private static readonly Lazy<Model> s_model = new(Build);

    [Fact]
    public void Every_runtime_file_is_in_a_layer()
    {
        string[] unplaced = s_model.Value.Files.Where(f => LayerOf(f.Relative) < 0).Select(f => f.Relative).ToArray();
        Assert.True(unplaced.Length == 0, "Files in no layer (add their folder to LayeringTests and docs/architecture.md): " + string.Join(", ", unplaced));
    }

    [Fact]
    public void No_layer_uses_a_layer_above_it()
    {
        List<string> upward = s_model.Value.Uses
            .Where(u => u.ToLayer > u.FromLayer)
            .Select(u => $"{u.From}:{u.Line} ({Name(u.FromLayer)}) uses {u.Symbol} from {u.To} ({Name(u.ToLayer)})")
            .Distinct()
            .ToList();
        Assert.True(upward.Count == 0, "Upward dependencies:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void Only_the_top_layer_sets_the_hooks()
    {
        // Lower layers call up only through Hooks classes; Tracing (the top) is the one place that sets them.
        List<string> setters = s_model.Value.HookAssignments
            .Where(a => a.FromLayer != s_layers.Length - 1)
            .Select(a => $"{a.From}:{a.Line} sets {a.Symbol}")
            .ToList();
        Assert.True(setters.Count == 0, "Hooks set outside Tracing:\n" + string.Join("\n", setters));
        Assert.NotEmpty(s_model.Value.HookAssignments);
    }

    [Fact]
    public void The_check_sees_the_dependencies_that_exist()
    {
        // Guards the test itself: if binding silently failed, nothing would ever be upward.
        Model model = s_model.Value;
        Assert.Contains(model.Uses, u => u.From == "Tracing.cs" && u.To == "Spans/SpanSink.cs");
        Assert.Contains(model.Uses, u => u.From == "Export/OtlpExporter.cs" && u.To == "Spans/SpanRing.cs");
        Assert.Contains(model.Uses, u => u.From == "Spans/ActiveSpan.cs" && u.To == "Context/FlowNode.cs");
        Assert.True(model.Uses.Count > 1000, "only " + model.Uses.Count + " cross-file uses bound");
    }

    private static string Name(int layer) => s_layers[layer].Layer;

    private static int LayerOf(string relative)
    {
        int slash = relative.IndexOf('/');
        string folder = slash < 0 ? "" : relative.Substring(0, slash);
        for (int i = 0; i < s_layers.Length; i++)
        {
            if (s_layers[i].Folders.Contains(folder))
            {
                return i;
            }
        }
        return -1;
    }

    private sealed record SourceFile(string Relative, SyntaxTree Tree);

    private sealed record Use(string From, int FromLayer, int Line, string Symbol, string To, int ToLayer);

    private sealed class Model
    {
        public List<SourceFile> Files { get; } = new();
        public List<Use> Uses { get; } = new();
        public List<Use> HookAssignments { get; } = new();
    }

    private static Model Build()
    {
        string root = Path.Combine(RepoPaths.Root, "src", "Runtime");
        var model = new Model();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        foreach (string path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }
            model.Files.Add(new SourceFile(relative, CSharpSyntaxTree.ParseText(File.ReadAllText(path), parse, relative)));
        }
        // The framework the tests run on stands in for net8.0's reference assemblies: binding needs the names, not the exact versions.
        IEnumerable<MetadataReference> references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => MetadataReference.CreateFromFile(p));
        CSharpCompilation compilation = CSharpCompilation.Create(
            "OtelGen",
            model.Files.Select(f => f.Tree),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        foreach (SourceFile file in model.Files)
        {
            int fromLayer = LayerOf(file.Relative);
            SemanticModel semantic = compilation.GetSemanticModel(file.Tree);
            foreach (SyntaxNode node in file.Tree.GetRoot().DescendantNodes())
            {
                if (node is not SimpleNameSyntax name)
                {
                    continue;
                }
                SymbolInfo info = semantic.GetSymbolInfo(name);
                ISymbol? symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
                INamedTypeSymbol? type = symbol as INamedTypeSymbol ?? symbol?.ContainingType;
                if (symbol is null || type is null || symbol is ILocalSymbol or IParameterSymbol or IRangeVariableSymbol or ILabelSymbol or ITypeParameterSymbol)
                {
                    continue;
                }
                int line = name.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                if (symbol is IFieldSymbol && type.Name == "Hooks" && IsAssigned(name))
                {
                    model.HookAssignments.Add(new Use(file.Relative, fromLayer, line, symbol.ToDisplayString(), "", -1));
                }
                foreach (SyntaxReference declaration in type.OriginalDefinition.DeclaringSyntaxReferences)
                {
                    string to = declaration.SyntaxTree.FilePath;
                    if (to != file.Relative)
                    {
                        model.Uses.Add(new Use(file.Relative, fromLayer, line, symbol.ToDisplayString(), to, LayerOf(to)));
                    }
                }
            }
        }
        return model;
    }

    // The name is what an assignment writes: `X = ...` or `A.B.X = ...`.
    private static bool IsAssigned(SimpleNameSyntax name)
    {
        SyntaxNode target = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
        return target.Parent is AssignmentExpressionSyntax assignment && assignment.Left == target;
    }
}
