using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Every OtelGen diagnostic obeys <c>#pragma warning disable</c>, <c>[SuppressMessage]</c> and .editorconfig severities
/// like any other (issue 27, item 12): the OTG1xxx ids the generator used to report (here OTG1007, a call the
/// generator does not intercept, and OTG1001, an error) as well as the analyzers' own (OTG3001). Checked through the
/// testing SDK (<see cref="InterceptionTest"/>), which reports what a build shows: suppressed diagnostics are not.
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
            public override int Run() => base.{|#0:Run|}() + 1;
            public Func<int> Later() => {|#1:new Base().Run|};
            [Traced] public async void {|#2:Fire|}() => await Task.Yield();
        }
        """;

    /// <summary>The three diagnostics of <see cref="Uses"/>, each with the severity its descriptor has unless given.</summary>
    private static DiagnosticResult[] AllThree(DiagnosticSeverity? otg1007 = null) => new[]
    {
        otg1007 is { } severity ? InterceptionTest.Diagnostic("OTG1007").WithLocation(0).WithSeverity(severity) : InterceptionTest.Diagnostic("OTG1007").WithLocation(0),
        InterceptionTest.Diagnostic("OTG3001").WithLocation(1),
        InterceptionTest.Diagnostic("OTG1001").WithLocation(2),
    };

    /// <summary>
    /// The analyzers over <paramref name="source"/> (in /src/Input.cs, after the types), with <paramref name="config"/>
    /// as /.editorconfig (or a global config, when it says is_global); exactly <paramref name="expected"/>.
    /// </summary>
    private static Task Verify(string source, string? config, params DiagnosticResult[] expected)
    {
        var test = new InterceptionTest("/src/Input.cs", Types + source, expected);
        if (config is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add((config.StartsWith("is_global") ? "/.globalconfig" : "/.editorconfig", config));
        }
        return test.RunAsync();
    }

    [Fact]
    public Task Without_suppression_all_three_are_reported() => Verify(Uses, null, AllThree());

    [Fact]
    public Task Pragma_warning_disable_silences_generator_and_analyzer_ids() =>
        Verify("""
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
            """, null);

    [Fact]
    public Task SuppressMessage_silences_generator_and_analyzer_ids() =>
        Verify("""
            public class Derived : Base
            {
                [System.Diagnostics.CodeAnalysis.SuppressMessage("OtelGen.Generator", "OTG1007:Call is not traced", Justification = "the base call is intended")]
                public override int Run() => base.Run() + 1;
                [System.Diagnostics.CodeAnalysis.SuppressMessage("OtelGen.Instrumentation", "OTG3001")]
                public Func<int> Later() => new Base().Run;
                [System.Diagnostics.CodeAnalysis.SuppressMessage("OtelGen.Generator", "OTG1001")]
                [Traced] public async void Fire() => await Task.Yield();
            }
            """, null);

    [Fact]
    public async Task EditorConfig_severity_none_silences_and_error_raises_generator_and_analyzer_ids()
    {
        await Verify(Harness.WithoutMarkup(Uses), "root = true\n[*.cs]\ndotnet_diagnostic.OTG1007.severity = none\ndotnet_diagnostic.OTG3001.severity = none\ndotnet_diagnostic.OTG1001.severity = none\n");

        await Verify(Uses, "root = true\n[*.cs]\ndotnet_diagnostic.OTG1007.severity = error\n", AllThree(otg1007: DiagnosticSeverity.Error));
    }

    [Fact]
    public Task EditorConfig_applies_per_file() =>
        Verify(Uses, "root = true\n[Other.cs]\ndotnet_diagnostic.OTG1007.severity = none\n", AllThree());

    [Fact]
    public async Task A_build_without_the_generator_reports_no_interception_diagnostics()
    {
        // -p:OtelGenGenerator=false takes the generator out and, through CompilerVisibleProperty, tells the analyzers.
        await Verify(Harness.WithoutMarkup(Uses), "is_global = true\nbuild_property.OtelGenGenerator = false\n");
        await Verify(Uses, "is_global = true\nbuild_property.OtelGenGenerator = true\n", AllThree());
    }
}
