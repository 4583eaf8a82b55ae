using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = OtelGen.Analyzers.Tests.AnalyzerVerifier<OtelGen.Analyzers.InstrumentationAnalyzer>;

namespace OtelGen.Analyzers.Tests;

/// <summary>
/// The instrumentation analyzer (OTG3001-OTG3005) through the Roslyn testing SDK: markup marks where each diagnostic
/// is, and a test fails on any diagnostic of any OtelGen analyzer it does not expect (OTG1xxx of InterceptionAnalyzer
/// included). Its code fixes are in InstrumentationCodeFixTests.
/// </summary>
public class InstrumentationTests
{
    private const string Work = """
        public class Work
        {
            [Traced] public int Step(int x) => x + 1;
            [Effect("db.get", Target = "blog_post")] public Task<string> Load(int id) => Task.FromResult("");
            public int Plain(int x) => x;
        }

        [Traced]
        public class Service
        {
            public void Run() { }
            [NoTrace] public void Quiet() { }
            private void Hidden() { }
            public void UseHidden() { Action h = Hidden; }
        }

        """;

    private const string ExpressionTree = "it is inside an expression tree, which is data handed to a LINQ provider, not a call an interceptor can replace";

    private static DiagnosticResult NotInstrumented(int location, string method, string reason) =>
        Verify.Diagnostic("OTG3001").WithLocation(location).WithMessage($"This use of '{method}' is not instrumented: {reason}");

    private static DiagnosticResult Summary(int instrumented, int total) =>
        Verify.Diagnostic(OtelGenTestSetup.CoverageSummaryId)
            .WithMessage($"OtelGen instrumented {instrumented} of {total} call sites of [Traced]/[Effect] methods in this compilation");

    /// <summary>
    /// The analyzers with the coverage summary OTG3005 on (a hidden diagnostic without a location). The SDK's check
    /// that nothing is reported in generated code is off: it marks every source generated, and then the summary
    /// counts nothing, which is the point of <see cref="GeneratedInterceptors_AreNotCountedOrFlagged"/>.
    /// </summary>
    private static Verify.Test WithSummary(string source, params DiagnosticResult[] expected) => WithSummary(OtelGenTestSetup.Usings, source, expected);

    private static Verify.Test WithSummary(string usings, string source, params DiagnosticResult[] expected)
    {
        var test = new Verify.Test { TestCode = usings + source, TestBehaviors = TestBehaviors.SkipGeneratedCodeCheck };
        test.DisabledDiagnostics.Remove(OtelGenTestSetup.CoverageSummaryId);
        test.ExpectedDiagnostics.AddRange(expected);
        return test;
    }

    [Fact]
    public Task MethodGroupConvertedToDelegate_IsNotInstrumented() =>
        Verify.VerifyAnalyzerAsync(Work + """
            public class Caller
            {
                public void M(Work w, Service s)
                {
                    Func<int, int> f = {|#0:w.Step|};
                    Task.Run({|#1:s.Run|});
                }
            }
            """,
            NotInstrumented(0, "Step", "the method group is converted to a delegate ('Func<int, int>'), and calls through a delegate bypass the interceptor; call it from a lambda instead")
                .WithSeverity(DiagnosticSeverity.Warning),
            NotInstrumented(1, "Run", "the method group is converted to a delegate ('Action'), and calls through a delegate bypass the interceptor; call it from a lambda instead"));

    [Fact]
    public Task CallInsideExpressionTree_IsNotInstrumented() =>
        Verify.VerifyAnalyzerAsync(Work + """
            public class Caller { public void M(Work w) { Expression<Func<int>> e = () => {|#0:w.Step(1)|}; } }
            """,
            NotInstrumented(0, "Step", ExpressionTree));

    [Fact]
    public Task QueryOverIQueryable_AndFunctionPointer_AreNotInstrumented() =>
        Verify.VerifyAnalyzerAsync(Work + """
            public static class Util { [Traced] public static int Twice(int x) => 2 * x; }
            public class Caller
            {
                public unsafe void M(IQueryable<int> q, Work w)
                {
                    var big = from x in q where {|#0:w.Step(x)|} > 3 select x;
                    delegate*<int, int> p = &{|#1:Util.Twice|};
                    var local = from x in new[] { 1 } where w.Step(x) > 3 select x;
                }
            }
            """,
            NotInstrumented(0, "Step", ExpressionTree),
            NotInstrumented(1, "Twice", "its address is taken, and calls through a function pointer bypass the interceptor"));

    [Fact]
    public Task OrdinaryCalls_Lambdas_NameOf_AndUninstrumentedMethods_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Work + """
            public class Caller
            {
                public async Task M(Work w, Service s)
                {
                    w.Step(1);
                    Func<int, int> f = x => w.Step(x);
                    Func<int, int> plain = w.Plain;
                    Action quiet = s.Quiet;
                    string name = nameof(w.Step);
                    await w.Load(3);
                    s.Run();
                }
            }
            """);

    [Fact]
    public Task CoverageSummary_CountsReachedAndAllUses() =>
        WithSummary(Work + """
            public class Caller
            {
                public void M(Work w, Service s)
                {
                    w.Step(1); w.Step(2); s.Run(); _ = w.Load(1);
                    Func<int, int> f = {|OTG3001:w.Step|};
                    Expression<Func<int>> e = () => {|OTG3001:w.Step(3)|};
                }
            }
            """,
            Summary(4, 6).WithSeverity(DiagnosticSeverity.Hidden)).RunAsync();

    [Fact]
    public Task CoverageSummary_CountsWhatTheGeneratorIntercepts_AndEveryUseItMisses() =>
        // Reached: dog.Legs() (the override, by its base's attribute), animal.Legs(), c.Inc() on a class.
        // Missed: c.Inc() on a T that may be a struct, w.Step(d) (dynamic), f.Go() (async void: OTG1001 on its declaration).
        WithSummary(Work + """
            public interface ICounter { [Traced] void Inc(); }
            public abstract class Animal { [Traced] public abstract int Legs(); }
            public class Dog : Animal { public override int Legs() => 4; }
            public class Fire { [Traced] public async void {|OTG1001:Go|}() => await Task.Yield(); }
            public class Caller
            {
                static void Bump<T>(ref T c) where T : ICounter => c.{|OTG1007:Inc|}();
                static void Hit<T>(T c) where T : class, ICounter => c.Inc();
                public void M(Dog dog, Animal animal, Work w, dynamic d, Fire f)
                {
                    dog.Legs();
                    animal.Legs();
                    w.{|OTG1007:Step|}(d);
                    f.Go();
                }
            }
            """,
            Summary(3, 6)).RunAsync();

    [Fact]
    public Task CoverageSummary_IsAbsentWithoutOtelGen()
    {
        string usings = OtelGenTestSetup.Usings.Replace("using OtelGen;", "").Replace("using OtelGen.Spans;", "");
        Verify.Test test = WithSummary(usings, "public class C { public void M() { Action a = M; } }");
        test.TestState.AdditionalReferences.Clear();
        test.TestState.AdditionalReferences.AddRange(OtelGenTestSetup.FrameworkReferences);
        return test.RunAsync();
    }

    [Fact]
    public Task GeneratedInterceptors_AreNotCountedOrFlagged()
    {
        Verify.Test test = WithSummary(Work, Summary(0, 0));
        test.TestState.Sources.Add(("/obj/Interceptors.g.cs", OtelGenTestSetup.Usings + """
            public static class Intercepted { public static int Step(Work w, int x) { Func<int, int> f = w.Step; return w.Step(x); } }
            """));
        return test.RunAsync();
    }

    [Theory]
    [InlineData("DB.Get", "db.get")]
    [InlineData("Cache.SetMany", "cache.set_many")]
    [InlineData("fetch", null)]
    [InlineData("db.", null)]
    public Task EffectOperationName_MustBeSystemDotOperation(string operation, string? proposal) =>
        Verify.VerifyAnalyzerAsync($$"""public class E { [Effect({|#0:"{{operation}}"|})] public void Go() { } }""",
            Verify.Diagnostic("OTG3002").WithLocation(0)
                .WithMessage($"Effect operation '{operation}' should be '<system>.<operation>' in lowercase (e.g. 'db.get')" + (proposal is null ? "" : $": use '{proposal}'")));

    [Fact]
    public Task WellFormedEffectOperation_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync("""public class E { [Effect("db.get")] public void A() { } [Effect("cache.set_many")] public void B() { } [Effect("http.client.get")] public void C() { } }""");

    [Fact]
    public Task EffectTarget_MustBeNonEmptyLiteralOrCapturedParameter() =>
        Verify.VerifyAnalyzerAsync("""
            public class E
            {
                [Effect("db.get", Target = {|#0:""|})] public void A() { }
                [Effect("db.get", Target = {|#1:"{table}"|})] public void B(string table) { }
                [Effect("db.get", Target = {|#2:nameof(table)|})] public void C(string table) { }
            }
            """,
            Verify.Diagnostic("OTG3003").WithLocation(0)
                .WithMessage("Effect target is empty: name what the operation acts on (Target = \"blog_post\"), or leave Target out and capture the parameter that holds it ([Tag(\"db.collection.name\")])"),
            Verify.Diagnostic("OTG3003").WithLocation(1)
                .WithMessage("Effect target '{table}' is recorded as written: the generator does not substitute parameters; leave Target out and capture the parameter ([Tag(\"db.collection.name\")])"),
            Verify.Diagnostic("OTG3003").WithLocation(2)
                .WithMessage("Effect target nameof(table) records the parameter's name, not its value; leave Target out and capture the parameter ([Tag(\"db.collection.name\")])"));

    [Fact]
    public Task EffectTarget_LiteralOrCapturedParameter_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync("""
            public class E
            {
                private const string Table = "blog_post";
                [Effect("db.get", Target = "blog_post")] public void A() { }
                [Effect("db.get", Target = Table)] public void B() { }
                [Effect("db.get")] public void C([Tag("db.collection.name")] string table) { }
            }
            """);

    [Fact]
    public Task ImplicitAndUnnamedCalls_AreNotInstrumented_BaseCallsAreLeftToTheGenerator() =>
        // The base call is the generator's to report (OTG1007, from InterceptionAnalyzer), not OTG3001.
        WithSummary(Work + """
            [Traced]
            public class Bag : System.Collections.IEnumerable
            {
                public void Add(int x) { }
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => Array.Empty<int>().GetEnumerator();
            }
            public class Base { [Traced] public virtual void Run() { } }
            public class Derived : Base { public override void Run() => base.{|OTG1007:Run|}(); }
            public class Caller
            {
                public void M(Work w)
                {
                    var bag = new Bag { {|#0:1|} };
                    _ = {|#1:((w.Step))(1)|};
                }
            }
            """,
            NotInstrumented(0, "Add", "the compiler makes this call implicitly (collection initializer, query clause), and only calls written by name can be intercepted"),
            NotInstrumented(1, "Step", "the method is not called by name here, and only calls written by name can be intercepted"),
            Summary(0, 3)).RunAsync();

    [Fact]
    public Task TracedNamespaceRule_InstrumentsMatchingPublicMethods()
    {
        // Declared here until the runtime ships the attribute; the analyzer binds it by metadata name.
        string attribute = typeof(TracedAttribute).Assembly.GetType("OtelGen.TracedNamespaceAttribute") is null
            ? """
              namespace OtelGen
              {
                  [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
                  public sealed class TracedNamespaceAttribute : Attribute
                  {
                      public TracedNamespaceAttribute(string @namespace) { }
                      public bool IncludeSubnamespaces { get; set; } = true;
                      public string? TypeNames { get; set; }
                  }
              }
              """
            : string.Empty;
        return WithSummary("""
            [assembly: TracedNamespace("Shop.Data", TypeNames = "*Repository")]
            namespace Shop.Data
            {
                public class OrderRepository { public int Load(int id) => id; public override string ToString() => ""; }
                public class Helper { public int Load(int id) => id; }
            }
            namespace Shop
            {
                public class Caller
                {
                    public void M(Shop.Data.OrderRepository r, Shop.Data.Helper h)
                    {
                        Func<int, int> a = {|OTG3001:r.Load|};
                        Func<int, int> b = h.Load;
                        Func<string> c = r.ToString;
                        r.Load(1);
                    }
                }
            }
            """ + attribute,
            Summary(1, 2)).RunAsync();
    }

    private static DiagnosticResult Sensitive(int location, string parameter, string reason) =>
        Verify.Diagnostic("OTG3004").WithLocation(location)
            .WithMessage($"Parameter '{parameter}' looks sensitive ({reason}); capturing it would send it to your telemetry backend");

    [Fact]
    public Task SensitiveCapture_IsFlagged() =>
        Verify.VerifyAnalyzerAsync("""
            public class Login
            {
                [Traced] public void SignIn(
                    [Tag("shop.user.name")] string userName,
                    [{|#0:Tag("shop.user.secret")|}] string password,
                    [{|#1:Tag("shop.api.key")|}] string apiKey,
                    [{|#2:Tag("shop.card", UseToString = true)|}] System.Security.SecureString card,
                    [{|#3:Tag("shop.card_number")|}] string creditCardNumber,
                    [{|#4:Tag("shop.auth")|}] string authorization) { }
            }
            """,
            Sensitive(0, "password", "its name says 'password'"),
            Sensitive(1, "apiKey", "its name says 'api key'"),
            Sensitive(2, "card", "its type 'SecureString' holds a credential"),
            Sensitive(3, "creditCardNumber", "its name says 'credit card'"),
            Sensitive(4, "authorization", "its name says 'authorization'"));

    [Fact]
    public Task HarmlessCaptures_AreNotFlagged() =>
        // No OTG3004; the key of the first capture is deprecated in semantic conventions v1.44.0 (OTG2002, another analyzer's).
        Verify.VerifyAnalyzerAsync("""
            public class Chat
            {
                [Traced] public void Ask([Tag({|OTG2002:"gen_ai.usage.input_tokens"|})] int inputTokens, [Tag("shop.author")] string author, [Tag("shop.tokenizer")] string tokenizer, System.Threading.CancellationToken cancellationToken) { }
            }
            """);
}
