using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OtelGen.TestSupport;

namespace OtelGen.Benchmarks;

/// <summary>
/// Issue 10, generator case: what the OtelGen generator costs on a synthetic project of 2,000 [Traced]
/// methods (200 classes of 10) and 10,000 call sites (200 caller files of 50 calls), so that IDE typing
/// stays fast. "FullRun" is a cold driver on the whole compilation (a command-line build); every other case
/// re-runs a warm driver after one edit, as the IDE does on a keystroke: a method body or a comment in a file
/// without traced calls, a new file, a statement added to a method body holding 50 intercepted calls, one new
/// call site, and a traced method's signature. Step tracking is on, and the interceptors namespace is enabled
/// so that the interceptor file is really emitted. OTELGEN_GENERATOR_DLL picks another build of the generator
/// (to compare before and after a change in one run).
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Classes = 200, MethodsPerClass = 10, CallerFiles = 200, CallsPerFile = 50;

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _editedUnrelated = null!;
    private CSharpCompilation _editedComment = null!;
    private CSharpCompilation _newFile = null!;
    private CSharpCompilation _editedCaller = null!;
    private CSharpCompilation _newCallSite = null!;
    private CSharpCompilation _editedSignature = null!;
    private ISourceGenerator _generator = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var trees = new List<SyntaxTree>();
        for (int c = 0; c < Classes; c++)
        {
            trees.Add(Parse(Service(c, signature: "int id"), $"Service{c}.cs"));
        }
        for (int f = 0; f < CallerFiles; f++)
        {
            trees.Add(Parse(Caller(f, extra: ""), $"Caller{f}.cs"));
        }
        SyntaxTree unrelated = Parse(Unrelated("return x + 1;", "// helpers"), "Unrelated.cs");
        trees.Add(unrelated);

        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p)).Cast<MetadataReference>().ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(TracedAttribute).Assembly.Location));
        _compilation = CSharpCompilation.Create("Synthetic", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _editedUnrelated = _compilation.ReplaceSyntaxTree(unrelated, Parse(Unrelated("return x + 2;", "// helpers"), "Unrelated.cs"));
        _editedComment = _compilation.ReplaceSyntaxTree(unrelated, Parse(Unrelated("return x + 1;", "// helpers, edited"), "Unrelated.cs"));
        _newFile = _compilation.AddSyntaxTrees(Parse("namespace Synthetic;\npublic static class Added\n{\n    public static int Twice(int x) => x * 2;\n}\n", "Added.cs"));
        SyntaxTree caller0 = _compilation.SyntaxTrees.First(t => t.FilePath == "Caller0.cs");
        _editedCaller = _compilation.ReplaceSyntaxTree(caller0, Parse(Caller(0, extra: "        total += 1;\n"), "Caller0.cs"));
        _newCallSite = _compilation.ReplaceSyntaxTree(caller0, Parse(Caller(0, extra: "        total += new Service1().Op2(7);\n"), "Caller0.cs"));
        SyntaxTree service0 = _compilation.SyntaxTrees.First(t => t.FilePath == "Service0.cs");
        _editedSignature = _compilation.ReplaceSyntaxTree(service0, Parse(Service(0, signature: "long id"), "Service0.cs"));
        _generator = LoadGenerator();
    }

    [IterationSetup(Targets = new[] { nameof(Edit_UnrelatedBody), nameof(Edit_Comment), nameof(Edit_NewFile), nameof(Edit_CallerFile), nameof(Edit_NewCallSite), nameof(Edit_TracedSignature) })]
    public void Warm() => _warm = NewDriver().RunGenerators(_compilation);

    [Benchmark(Baseline = true)]
    public int FullRun() => Output(NewDriver().RunGenerators(_compilation));

    [Benchmark]
    public int Edit_UnrelatedBody() => Output(_warm.RunGenerators(_editedUnrelated));

    [Benchmark]
    public int Edit_Comment() => Output(_warm.RunGenerators(_editedComment));

    [Benchmark]
    public int Edit_NewFile() => Output(_warm.RunGenerators(_newFile));

    [Benchmark]
    public int Edit_CallerFile() => Output(_warm.RunGenerators(_editedCaller));

    [Benchmark]
    public int Edit_NewCallSite() => Output(_warm.RunGenerators(_newCallSite));

    [Benchmark]
    public int Edit_TracedSignature() => Output(_warm.RunGenerators(_editedSignature));

    private GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
        new[] { _generator },
        parseOptions: ((CSharpParseOptions)_compilation.SyntaxTrees[0].Options).WithFeatures(new[] { new KeyValuePair<string, string>("InterceptorsNamespaces", "OtelGen.Generated") }),
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

    private static string Service(int c, string signature)
    {
        var sb = new StringBuilder("using OtelGen;\nnamespace Synthetic;\npublic class Service").Append(c).Append("\n{\n");
        for (int m = 0; m < MethodsPerClass; m++)
        {
            sb.Append("    [Traced] public int Op").Append(m).Append("([Tag(\"app.item.id\")] ").Append(m == 0 ? signature : "int id").Append(") => (int)id + ").Append(m).Append(";\n");
        }
        return sb.Append("}\n").ToString();
    }

    private static string Unrelated(string body, string comment) =>
        "namespace Synthetic;\n" + comment + "\npublic static class Unrelated\n{\n    public static int Compute(int x)\n    {\n        " + body + "\n    }\n}\n";

    private static ISourceGenerator LoadGenerator()
    {
        string path = Environment.GetEnvironmentVariable("OTELGEN_GENERATOR_DLL") is { Length: > 0 } chosen
            ? chosen
            : Path.Combine(RepoPaths.Root, "src", "Generator", "bin", "Release", "netstandard2.0", "OtelGen.Generator.dll");
        Type type = Assembly.LoadFrom(path).GetTypes().Single(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }
}
