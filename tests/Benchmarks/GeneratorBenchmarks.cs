using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace OtelGen.Benchmarks;

/// <summary>
/// Issue 10, generator case: what the OtelGen generator costs on a synthetic project of 2,000 [Traced]
/// methods (200 classes of 10) and 10,000 call sites (200 caller files of 50 calls), so that IDE typing
/// stays fast. "FullRun" is a cold driver on the whole compilation (a command-line build);
/// "Edit_UnrelatedBody" re-runs a warm driver after a method body changed in a file with no traced calls
/// (what most keystrokes are); "Edit_CallerFile" after a change in a file holding 50 intercepted calls
/// (their locations' checksums change, so that file's interceptors are re-emitted). Step tracking is on,
/// as in the IDE.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Classes = 200, MethodsPerClass = 10, CallerFiles = 200, CallsPerFile = 50;

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _editedUnrelated = null!;
    private CSharpCompilation _editedCaller = null!;
    private ISourceGenerator _generator = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var trees = new List<SyntaxTree>();
        for (int c = 0; c < Classes; c++)
        {
            var sb = new StringBuilder("using OtelGen;\nnamespace Synthetic;\npublic class Service").Append(c).Append("\n{\n");
            for (int m = 0; m < MethodsPerClass; m++)
            {
                sb.Append("    [Traced] public int Op").Append(m).Append("([Tag(\"app.item.id\")] int id) => id + ").Append(m).Append(";\n");
            }
            trees.Add(Parse(sb.Append("}\n").ToString(), $"Service{c}.cs"));
        }
        for (int f = 0; f < CallerFiles; f++)
        {
            trees.Add(Parse(Caller(f, extra: ""), $"Caller{f}.cs"));
        }
        SyntaxTree unrelated = Parse(Unrelated("return x + 1;"), "Unrelated.cs");
        trees.Add(unrelated);

        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p)).Cast<MetadataReference>().ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(TracedAttribute).Assembly.Location));
        _compilation = CSharpCompilation.Create("Synthetic", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _editedUnrelated = _compilation.ReplaceSyntaxTree(unrelated, Parse(Unrelated("return x + 2;"), "Unrelated.cs"));
        SyntaxTree caller0 = _compilation.SyntaxTrees.First(t => t.FilePath == "Caller0.cs");
        _editedCaller = _compilation.ReplaceSyntaxTree(caller0, Parse(Caller(0, extra: "        total += 1;\n"), "Caller0.cs"));
        _generator = LoadGenerator();
    }

    [IterationSetup(Targets = new[] { nameof(Edit_UnrelatedBody), nameof(Edit_CallerFile) })]
    public void Warm() => _warm = NewDriver().RunGenerators(_compilation);

    [Benchmark(Baseline = true)]
    public int FullRun() => Output(NewDriver().RunGenerators(_compilation));

    [Benchmark]
    public int Edit_UnrelatedBody() => Output(_warm.RunGenerators(_editedUnrelated));

    [Benchmark]
    public int Edit_CallerFile() => Output(_warm.RunGenerators(_editedCaller));

    private GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
        new[] { _generator },
        parseOptions: (CSharpParseOptions)_compilation.SyntaxTrees[0].Options,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static int Output(GeneratorDriver driver) => driver.GetRunResult().GeneratedTrees.Sum(t => t.Length);

    private static SyntaxTree Parse(string text, string path) =>
        CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Preview), path);

    private static string Caller(int file, string extra)
    {
        var sb = new StringBuilder("namespace Synthetic;\npublic static class Caller").Append(file).Append("\n{\n    public static int Run()\n    {\n        int total = 0;\n");
        for (int i = 0; i < CallsPerFile; i++)
        {
            int target = (file * CallsPerFile + i) % (Classes * MethodsPerClass);
            sb.Append("        total += new Service").Append(target / MethodsPerClass).Append("().Op").Append(target % MethodsPerClass).Append('(').Append(i).Append(");\n");
        }
        return sb.Append(extra).Append("        return total;\n    }\n}\n").ToString();
    }

    private static string Unrelated(string body) =>
        "namespace Synthetic;\npublic static class Unrelated\n{\n    public static int Compute(int x)\n    {\n        " + body + "\n    }\n}\n";

    private static ISourceGenerator LoadGenerator()
    {
        string? root = null;
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null && root is null; d = d.Parent)
        {
            root = File.Exists(Path.Combine(d.FullName, "OtelGen.slnx")) ? d.FullName : null;
        }
        string path = Path.Combine(root ?? throw new InvalidOperationException("repository root not found"), "src", "Generator", "bin", "Release", "netstandard2.0", "OtelGen.Generator.dll");
        Type type = Assembly.LoadFrom(path).GetTypes().Single(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }
}
