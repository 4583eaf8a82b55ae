using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Every OtelGen diagnostic obeys <c>#pragma warning disable</c>, <c>[SuppressMessage]</c> and .editorconfig severities
/// like any other (issue 27, item 12): the OTG1xxx ids the generator used to report (here OTG1007, a call the
/// generator does not intercept, and OTG1001, an error) as well as the analyzers' own (OTG3001).
/// </summary>
public class SuppressionTests
{
    private const string Types = """
        using System;
        using System.Threading.Tasks;
        using OtelGen;

        namespace MyApp;

        public class Base { [Traced] public virtual int Run() => 1; }

        """;

    // One OTG1007 (a base. call), one OTG3001 (a method group), one OTG1001 (async void), in that order.
    private const string Uses = """
        public class Derived : Base
        {
            public override int Run() => base.Run() + 1;
            public Func<int> Later() => new Base().Run;
            [Traced] public async void Fire() => await Task.Yield();
        }
        """;

    private static string[] Ids(string source, string? editorConfig = null) =>
        Build.Run(Harness.Compile(("/src/Input.cs", Types + source)), editorConfig).Diagnostics.Select(d => d.Id).ToArray();

    [Fact]
    public void Without_suppression_all_three_are_reported()
    {
        Assert.Equal(new[] { "OTG1007", "OTG3001", "OTG1001" }, Ids(Uses));
    }

    [Fact]
    public void Pragma_warning_disable_silences_generator_and_analyzer_ids()
    {
        string source = """
            public class Derived : Base
            {
            #pragma warning disable OTG1007
                public override int Run() => base.Run() + 1;
            #pragma warning restore OTG1007
            #pragma warning disable OTG3001
                public Func<int> Later() => new Base().Run;
            #pragma warning restore OTG3001
            #pragma warning disable OTG1001
                [Traced] public async void Fire() => await Task.Yield();
            #pragma warning restore OTG1001
            }
            """;
        Assert.Empty(Ids(source));
    }

    [Fact]
    public void SuppressMessage_silences_generator_and_analyzer_ids()
    {
        string source = """
            public class Derived : Base
            {
                [System.Diagnostics.CodeAnalysis.SuppressMessage("OtelGen.Generator", "OTG1007:Call is not traced", Justification = "the base call is intended")]
                public override int Run() => base.Run() + 1;
                [System.Diagnostics.CodeAnalysis.SuppressMessage("OtelGen.Instrumentation", "OTG3001")]
                public Func<int> Later() => new Base().Run;
                [System.Diagnostics.CodeAnalysis.SuppressMessage("OtelGen.Generator", "OTG1001")]
                [Traced] public async void Fire() => await Task.Yield();
            }
            """;
        Assert.Empty(Ids(source));
    }

    [Fact]
    public void EditorConfig_severity_none_silences_and_error_raises_generator_and_analyzer_ids()
    {
        Assert.Empty(Ids(Uses, "root = true\n[*.cs]\ndotnet_diagnostic.OTG1007.severity = none\ndotnet_diagnostic.OTG3001.severity = none\ndotnet_diagnostic.OTG1001.severity = none\n"));

        Diagnostic raised = Build.Run(Harness.Compile(("/src/Input.cs", Types + Uses)), "root = true\n[*.cs]\ndotnet_diagnostic.OTG1007.severity = error\n").Diagnostics[0];
        Assert.Equal("OTG1007", raised.Id);
        Assert.Equal(DiagnosticSeverity.Error, raised.Severity);
    }

    [Fact]
    public void EditorConfig_applies_per_file()
    {
        Assert.Equal(new[] { "OTG1007", "OTG3001", "OTG1001" }, Ids(Uses, "root = true\n[Other.cs]\ndotnet_diagnostic.OTG1007.severity = none\n"));
    }

    [Fact]
    public void A_build_without_the_generator_reports_no_interception_diagnostics()
    {
        // -p:OtelGenGenerator=false takes the generator out and, through CompilerVisibleProperty, tells the analyzers.
        Assert.Empty(Ids(Uses, "is_global = true\nbuild_property.OtelGenGenerator = false\n"));
        Assert.Equal(new[] { "OTG1007", "OTG3001", "OTG1001" }, Ids(Uses, "is_global = true\nbuild_property.OtelGenGenerator = true\n"));
    }
}
