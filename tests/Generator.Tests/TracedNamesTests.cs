using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// The binding step only binds calls written with the name of a method some rule may instrument: the names
/// must cover explicit attributes, [Traced] types, [assembly: TracedNamespace] and libraries built with OtelGen.
/// </summary>
public class TracedNamesTests
{
    private const string Library = """
        using OtelGen;
        namespace Lib;
        public class Store
        {
            [Traced] public int Get(int x) => x;
            public int Plain(int x) => x;
        }
        [Traced]
        public class Repo
        {
            public int Load() => 1;
        }
        """;

    /// <summary>The library, compiled (as an assembly on disk would be: the testing SDK's projects take metadata, not compilations).</summary>
    private static MetadataReference BuildLibrary()
    {
        Compilation library = Harness.Compile(("Lib.cs", Library)).WithAssemblyName("Lib");
        Assert.Empty(library.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        using var image = new MemoryStream();
        EmitResult emitted = library.Emit(image);
        Assert.True(emitted.Success, Harness.Describe(emitted.Diagnostics));
        return MetadataReference.CreateFromImage(image.ToArray());
    }

    private const string Consumer = """
        using OtelGen;
        [assembly: TracedNamespace("App.Services")]
        namespace App
        {
            public class Local
            {
                [Effect("db.query")] public int Query() => 1;
                public int Untraced() => 2;
            }
            public static class Use
            {
                public static int Run() => new Lib.Store().Get(1) + new Lib.Store().Plain(2) + new Lib.Repo().Load() + new Local().Query() + new Local().Untraced();
            }
        }
        namespace App.Services
        {
            public class Billing { public int Charge() => 3; }
        }
        """;

    [Fact]
    public void Names_cover_explicit_attributes_traced_types_namespace_rules_and_libraries_built_with_OtelGen()
    {
        Compilation compilation = Harness.Compile(("App.cs", Consumer)).AddReferences(BuildLibrary());
        TracedNames names = TracedNames.Of(compilation, CancellationToken.None);

        Assert.True(names.Contains("Get"));      // [Traced] on a library method
        Assert.True(names.Contains("Load"));     // [Traced] on a library type
        Assert.True(names.Contains("Query"));    // [Effect] in source
        Assert.True(names.Contains("Charge"));   // [assembly: TracedNamespace]
        Assert.False(names.Contains("Plain"));
        Assert.False(names.Contains("Run"));
        Assert.False(names.Contains("ToString")); // the BCL is not read
    }

    [Fact]
    public async Task Calls_into_a_library_built_with_OtelGen_are_intercepted()
    {
        // Through the testing SDK: no generator diagnostic and no warning or error of the compiled result may occur.
        var test = new GeneratorTest { TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck };
        test.TestState.Sources.Add(("App.cs", SourceText.From(Consumer, Encoding.UTF8)));
        test.TestState.AdditionalReferences.Add(BuildLibrary());
        await test.RunAsync();

        Assert.Contains("Store_Get", test.Generated);
        Assert.Contains("Repo_Load", test.Generated);
        Assert.Contains("Local_Query", test.Generated);
        Assert.DoesNotContain("Store_Plain", test.Generated);
        Assert.DoesNotContain("Local_Untraced", test.Generated);
    }
}
