using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using OtelGen.TestSupport;

namespace OtelGen.Benchmarks;

/// <summary>
/// Cost of the OtelGen analyzers on a synthetic project of 2,000 annotated methods and 10,000 attribute-key
/// writes (200 files). "Full" is what a command-line build pays (every document plus the compilation-end
/// actions); "OneDocument" is what an IDE pays after an edit (one document's semantic diagnostics). Each
/// run starts from a fresh compilation, so binding and operation trees are paid every time. The baseline runs
/// an analyzer that registers the same callbacks and does nothing, so the difference is the OtelGen analyzers'
/// own work. With <see cref="Violations"/>, about 27% of the writes are reported (deprecated, badly named,
/// misspelled, reserved keys, value types) and one method group per file; without, the code is clean.
/// </summary>
[MemoryDiagnoser]
public class AnalyzerBenchmarks
{
    public const int Files = 200;
    public const int MethodsPerClass = 10;

    private CSharpCompilation _template = null!;
    private ImmutableArray<DiagnosticAnalyzer> _otelGen;
    private ImmutableArray<DiagnosticAnalyzer> _empty;
    private CSharpCompilation _compilation = null!;

    [Params(false, true)]
    public bool Violations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _template = SyntheticProject.Compile(Violations);
        _otelGen = SyntheticProject.LoadAnalyzers();
        _empty = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyAnalyzer());
    }

    // A fresh compilation (same trees, no bound state) for every run.
    [IterationSetup]
    public void Fresh() => _compilation = _template.Clone();

    [Benchmark(Baseline = true)]
    public int Full_EmptyAnalyzer() => Full(_empty);

    [Benchmark]
    public int Full_OtelGenAnalyzers() => Full(_otelGen);

    [Benchmark]
    public int OneDocument_EmptyAnalyzer() => OneDocument(_empty);

    [Benchmark]
    public int OneDocument_OtelGenAnalyzers() => OneDocument(_otelGen);

    /// <summary>
    /// After the runs, one sequential pass with the driver's own per-analyzer clock (the time spent inside each
    /// analyzer's callbacks, which excludes binding), printed to the log.
    /// </summary>
    [GlobalCleanup(Target = nameof(OneDocument_OtelGenAnalyzers))]
    public void PrintCallbackTime()
    {
        ImmutableArray<DiagnosticAnalyzer> all = _otelGen.AddRange(_empty);
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: true);
        CompilationWithAnalyzers run = _template.Clone().WithAnalyzers(all, options);
        int reported = run.GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult().Length;
        var line = new StringBuilder($"// Analyzer callback time (Violations={Violations}, {reported} diagnostics):");
        foreach (DiagnosticAnalyzer analyzer in all)
        {
            TimeSpan time = run.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime;
            line.Append($" {analyzer.GetType().Name} {time.TotalMilliseconds:0} ms;");
        }

        Console.WriteLine(line.ToString());
    }

    private int Full(ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        _compilation.WithAnalyzers(analyzers).GetAllDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult().Length;

    private int OneDocument(ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        SemanticModel model = _compilation.GetSemanticModel(_compilation.SyntaxTrees.First());
        return model.GetDiagnostics().Length
            + _compilation.WithAnalyzers(analyzers).GetAnalyzerSemanticDiagnosticsAsync(model, null, CancellationToken.None).GetAwaiter().GetResult().Length;
    }
}

#pragma warning disable RS1036, RS1041, RS2008 // a benchmark fixture, not a shipped analyzer

/// <summary>Registers the same callbacks as the OtelGen analyzers and does nothing: the driver's own cost.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class EmptyAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor s_never = new("BENCH0001", "never", "never", "Bench", DiagnosticSeverity.Warning, true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(s_never);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            start.RegisterOperationAction(_ => { }, OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.MethodReference);
            start.RegisterSymbolAction(_ => { }, SymbolKind.Method, SymbolKind.NamedType);
            start.RegisterCompilationEndAction(_ => { });
        });
    }
}

#pragma warning restore RS1036, RS1041, RS2008

/// <summary>Builds the synthetic project and loads the analyzers from the repository's Release build output.</summary>
public static class SyntheticProject
{
    private static readonly string[] s_goodKeys =
    {
        "http.request.method", "http.route", "url.full", "server.address", "db.collection.name", "db.operation.name",
        "error.type", "shop.order.id", "shop.cart.size", "messaging.destination.name",
    };

    private static readonly string[] s_badKeys = { "http.method", "db.system", "Shop.OrderId", "http.request.methd", "otel.flag" };

    /// <summary>200 files × 10 methods; each method has one [Tag] parameter and four key writes in its body.</summary>
    public static IEnumerable<(string Path, string Text)> Sources(bool violations)
    {
        int write = 0;
        for (int f = 0; f < AnalyzerBenchmarks.Files; f++)
        {
            var sb = new StringBuilder();
            sb.AppendLine("using System.Diagnostics;\nusing System.Threading.Tasks;\nusing OtelGen;\nusing OtelGen.Spans;\n\nnamespace Synthetic;\n");
            sb.AppendLine($"public sealed class Service{f}\n{{");
            for (int m = 0; m < AnalyzerBenchmarks.MethodsPerClass; m++)
            {
                string attribute = m % 3 == 0 ? $"[Effect(\"db.get\", Target = \"table_{m}\")]" : "[Traced]";
                sb.AppendLine($"    {attribute}");
                string value = violations ? "n" : "\"v\"";
                sb.AppendLine($"    public int Step{m}([Tag(\"{Key(write++, violations)}\")] string input, Activity activity, int n)\n    {{");
                sb.AppendLine($"        activity.SetTag(\"{Key(write++, violations)}\", \"GET\");");
                sb.AppendLine($"        Tracing.CurrentSpan.SetAttribute(\"{Key(write++, violations)}\", \"x\");");
                sb.AppendLine($"        var tags = new TagList {{ {{ \"{Key(write++, violations)}\", {value} }} }};");
                sb.AppendLine($"        var kv = new KeyValue(\"{Key(write++, violations)}\", {value});");
                string call = m + 1 < AnalyzerBenchmarks.MethodsPerClass ? $"Step{m + 1}(input, activity, n - 1)" : "n";
                sb.AppendLine($"        return n <= 0 ? 0 : {call};\n    }}\n");
            }

            string methodGroup = violations ? "System.Func<string, Activity, int, int> f = Step0; " : string.Empty;
            sb.AppendLine($"    public void Use() {{ {methodGroup}Step1(\"a\", null!, 1); }}\n}}");
            yield return ($"/synthetic/Service{f}.cs", sb.ToString());
        }
    }

    private static string Key(int i, bool violations) => violations && i % 20 == 7 ? s_badKeys[i / 20 % s_badKeys.Length] : s_goodKeys[i % s_goodKeys.Length];

    public static CSharpCompilation Compile(bool violations)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        SyntaxTree[] trees = Sources(violations).Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, s.Path)).ToArray();
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var references = tpa.Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(TracedAttribute).Assembly.Location));
        var compilation = CSharpCompilation.Create("Synthetic", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Diagnostic? error = compilation.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error is not null)
        {
            throw new InvalidOperationException("synthetic project does not compile: " + error);
        }

        return compilation;
    }

    /// <summary>
    /// The analyzers as a build loads them: OtelGen.Analyzers.dll from src/Analyzers/bin/Release (built through
    /// build/InRepoConsumer.props), instantiated by their [DiagnosticAnalyzer] attribute.
    /// </summary>
    public static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers()
    {
        string path = Path.Combine(RepoPaths.Root, "src", "Analyzers", "bin", "Release", "netstandard2.0", "OtelGen.Analyzers.dll");
        Assembly assembly = Assembly.LoadFrom(path);
        return assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
    }
}
