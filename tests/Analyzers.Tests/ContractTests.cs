using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using OtelGen.Analyzers.SemConv;
using OtelGen.TestSupport;
using Xunit;
using static OtelGen.Analyzers.Tests.Harness;

namespace OtelGen.Analyzers.Tests;

public class ContractTests
{
    private static IEnumerable<DiagnosticDescriptor> AllDescriptors => Harness.Analyzers.SelectMany(a => a.SupportedDiagnostics);

    [Fact]
    public void EveryDiagnostic_HasTitleMessageCategoryAndAnExistingHelpPage()
    {
        string docs = Path.Combine(RepoPaths.Root, "docs", "diagnostics");
        DiagnosticDescriptor[] all = AllDescriptors.ToArray();
        Assert.Equal(15, all.Length);
        foreach (DiagnosticDescriptor d in all)
        {
            Assert.Matches("^OTG[23]0[0-9][0-9]$", d.Id);
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
    public void EditorConfigSeverity_RaisesAWarningToAnError()
    {
        string source = """public class C { public void M(Activity a) => a.SetTag("http.method", "GET"); }""";
        Assert.Equal(DiagnosticSeverity.Warning, Analyze(source).Single().Severity);

        Diagnostic raised = Analyze(source, globalConfig: "is_global = true\ndotnet_diagnostic.OTG2001.severity = error\n").Single();
        Assert.Equal("OTG2001", raised.Id);
        Assert.Equal(DiagnosticSeverity.Error, raised.Severity);
    }

    [Fact]
    public void EditorConfigSeverity_None_SilencesAnId_AndCategorySettingsApply()
    {
        string source = """public class C { public void M(Activity a) { a.SetTag("http.method", "GET"); a.SetTag("Bad Key", 1); } }""";
        Diagnostic[] rest = Analyze(source, globalConfig: "is_global = true\ndotnet_diagnostic.OTG2001.severity = none\n");
        Assert.Equal("OTG2003", Assert.Single(rest).Id);

        Diagnostic[] suggestions = Analyze(source, globalConfig: "is_global = true\ndotnet_analyzer_diagnostic.category-OtelGen.SemanticConventions.severity = suggestion\n");
        Assert.Equal(2, suggestions.Length);
        Assert.All(suggestions, d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
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
