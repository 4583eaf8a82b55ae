using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using LowercaseFix = OtelGen.Analyzers.Tests.CodeFixVerifier<OtelGen.Analyzers.InstrumentationAnalyzer, OtelGen.Analyzers.CodeFixes.ReplaceLiteralCodeFix>;
using RemoveCaptureFix = OtelGen.Analyzers.Tests.CodeFixVerifier<OtelGen.Analyzers.InstrumentationAnalyzer, OtelGen.Analyzers.CodeFixes.RemoveCaptureCodeFix>;

namespace OtelGen.Analyzers.Tests;

/// <summary>The code fixes of the instrumentation analyzer's diagnostics (OTG3002, OTG3004), through the Roslyn testing SDK.</summary>
public class InstrumentationCodeFixTests
{
    [Fact]
    public Task EffectOperation_Fix_Lowercases() =>
        LowercaseFix.VerifyCodeFixAsync(
            """public class E { [Effect({|OTG3002:"DB.Get"|})] public void Go() { } }""",
            """public class E { [Effect("db.get")] public void Go() { } }""");

    // (Tag is not AllowMultiple, so the list's second attribute is another one: [Tag(..), Tag(..)] does not compile.)
    private const string Login = """
        public class Login
        {
            [Traced] public void SignIn([Tag("shop.user.name")] string userName, [{|OTG3004:Tag("shop.user.secret")|}] string password) { }
            [Traced] public void Other([{|OTG3004:Tag("shop.x")|}, System.Diagnostics.CodeAnalysis.NotNull] string token) { }
        }
        """;

    [Fact]
    public Task SensitiveCapture_Fix_RemovesTheAttribute() =>
        // The first diagnostic only: the whole [Tag(...)] goes; the other parameter keeps its capture and its diagnostic.
        FixOne(0, """
            public class Login
            {
                [Traced] public void SignIn([Tag("shop.user.name")] string userName, string password) { }
                [Traced] public void Other([{|OTG3004:Tag("shop.x")|}, System.Diagnostics.CodeAnalysis.NotNull] string token) { }
            }
            """);

    [Fact]
    public Task SensitiveCapture_Fix_RemovesOneAttributeOfAList() =>
        // The second diagnostic only: Tag("shop.x") leaves its list, the other attribute stays.
        FixOne(1, """
            public class Login
            {
                [Traced] public void SignIn([Tag("shop.user.name")] string userName, [{|OTG3004:Tag("shop.user.secret")|}] string password) { }
                [Traced] public void Other([System.Diagnostics.CodeAnalysis.NotNull] string token) { }
            }
            """);

    [Fact]
    public Task SensitiveCapture_FixAll_RemovesEveryCaptureOfASensitiveParameter() =>
        RemoveCaptureFix.VerifyCodeFixAsync(Login, """
            public class Login
            {
                [Traced] public void SignIn([Tag("shop.user.name")] string userName, string password) { }
                [Traced] public void Other([System.Diagnostics.CodeAnalysis.NotNull] string token) { }
            }
            """);

    private static Task FixOne(int which, string fixedSource)
    {
        var test = new RemoveCaptureFix.Test
        {
            TestCode = OtelGenTestSetup.Usings + Login,
            FixedCode = OtelGenTestSetup.Usings + fixedSource,
            CodeFixTestBehaviors = CodeFixTestBehaviors.FixOne | CodeFixTestBehaviors.SkipFixAllCheck,
            DiagnosticToFix = which,
        };
        // The fixed source's markup states the diagnostic that is left (by default markup of a fixable id is ignored there).
        test.FixedState.MarkupHandling = MarkupMode.Allow;
        return test.RunAsync();
    }
}
