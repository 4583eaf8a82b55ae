using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using OtelGen.Analyzers.SemConv;
using OtelGen.TestSupport;
using Xunit;
using Verify = OtelGen.Analyzers.Tests.AnalyzerVerifier<OtelGen.Analyzers.SemanticConventionsAnalyzer>;

namespace OtelGen.Analyzers.Tests;

public class ContractTests
{
    /// <summary>What every shipped analyzer reports: OTG1xxx (InterceptionAnalyzer, from the generator's rules), OTG2xxx and OTG3xxx.</summary>
    private static IEnumerable<DiagnosticDescriptor> AllDescriptors => OtelGenTestSetup.ShippedAnalyzers.SelectMany(a => a.SupportedDiagnostics);

    [Fact]
    public void EveryDiagnostic_HasTitleMessageCategoryAndAnExistingHelpPage()
    {
        string docs = Path.Combine(RepoPaths.Root, "docs", "diagnostics");
        DiagnosticDescriptor[] all = AllDescriptors.ToArray();
        Assert.Equal(25, all.Length);
        foreach (DiagnosticDescriptor d in all)
        {
            Assert.Matches("^OTG[123]0[0-9][0-9]$", d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.Title.ToString()), d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.MessageFormat.ToString()), d.Id);
            Assert.StartsWith("OtelGen.", d.Category);
            Assert.Equal("https://github.com/otelgen/otelgen/blob/main/docs/diagnostics/" + d.Id + ".md", d.HelpLinkUri);
            string page = Path.Combine(docs, d.Id + ".md");
            Assert.True(File.Exists(page), page);
            Assert.Contains(d.Id, File.ReadAllText(page));
        }
    }

    [Fact]
    public async Task EditorConfigSeverity_RaisesAWarningToAnError()
    {
        string source = """public class C { public void M(Activity a) => a.SetTag({|#0:"http.method"|}, "GET"); }""";
        await Verify.VerifyAnalyzerAsync(source, Verify.Diagnostic("OTG2001").WithLocation(0).WithSeverity(DiagnosticSeverity.Warning));

        await WithGlobalConfig(source, "dotnet_diagnostic.OTG2001.severity = error",
            Verify.Diagnostic("OTG2001").WithLocation(0).WithSeverity(DiagnosticSeverity.Error));
    }

    [Fact]
    public async Task EditorConfigSeverity_None_SilencesAnId_AndCategorySettingsApply()
    {
        static string Source(string key1, string key2) => "public class C { public void M(Activity a) { a.SetTag(" + key1 + ", \"GET\"); a.SetTag(" + key2 + ", 1); } }";

        await WithGlobalConfig(Source("\"http.method\"", "{|#0:\"Bad Key\"|}"), "dotnet_diagnostic.OTG2001.severity = none",
            Verify.Diagnostic("OTG2003").WithLocation(0));

        await WithGlobalConfig(Source("{|#0:\"http.method\"|}", "{|#1:\"Bad Key\"|}"), "dotnet_analyzer_diagnostic.category-OtelGen.SemanticConventions.severity = suggestion",
            Verify.Diagnostic("OTG2001").WithLocation(0).WithSeverity(DiagnosticSeverity.Info),
            Verify.Diagnostic("OTG2003").WithLocation(1).WithSeverity(DiagnosticSeverity.Info));
    }

    /// <summary>The analyzers over <paramref name="source"/> with one line of a .globalconfig, as a build reads it.</summary>
    private static Task WithGlobalConfig(string source, string line, params DiagnosticResult[] expected)
    {
        var test = new Verify.Test { TestCode = OtelGenTestSetup.Usings + source };
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\n" + line + "\n"));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    [Fact]
    public void Registry_IsTheEmbeddedV1_44_0_Data()
    {
        SemConvRegistry registry = SemConvRegistry.Instance;
        Assert.Same(registry, SemConvRegistry.Instance);
        Assert.Equal("1.44.0", SemConvRegistry.Version);
        string tsv = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Analyzers", "SemConv", "attributes.tsv"));
        Assert.Equal(tsv.Split('\n').Count(l => l.Length > 0) - 1, registry.Count);
        Assert.True(registry.TryGet("http.request.method", out SemConvAttribute method));
        Assert.Contains("GET", method.EnumValues);
        Assert.True(registry.TryGet("http.method", out SemConvAttribute old));
        Assert.Equal("http.request.method", old.RenamedTo);
        Assert.False(registry.IsSemConvRoot("job.id", out _));
        Assert.False(registry.IsSemConvRoot("otelgen.dropped", out _));
    }

    [Theory]
    [InlineData("http.request.method", true)]
    [InlineData("a", true)]
    [InlineData("a1.b_2.c3", true)]
    [InlineData("A", false)]
    [InlineData("a b", false)]
    [InlineData("1a", false)]
    [InlineData("a..b", false)]
    [InlineData("a._b", false)]
    [InlineData("a.", false)]
    [InlineData("a_", false)]
    [InlineData("", false)]
    public void NamingRule_MatchesTheRegistryRegex(string key, bool valid)
    {
        Assert.Equal(valid, KeyNaming.IsValid(key));
        Assert.Equal(valid, System.Text.RegularExpressions.Regex.IsMatch(key, "^[a-z][a-z0-9]*([._][a-z0-9]+)*$"));
    }

    [Theory]
    [InlineData("HTTPServer.RequestCount", "http_server.request_count")]
    [InlineData("userId", "user_id")]
    [InlineData("__a__.__b", "a.b")]
    [InlineData("123", null)]
    public void SnakeCase_Proposal(string key, string? expected) => Assert.Equal(expected, KeyNaming.ToSnakeCase(key));
}
