using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using OtelGen.Analyzers.CodeFixes;
using Xunit;
using static OtelGen.Analyzers.Tests.Harness;

namespace OtelGen.Analyzers.Tests;

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

    [Fact]
    public void MethodGroupConvertedToDelegate_IsNotInstrumented()
    {
        Diagnostic[] all = Analyze(Work + """
            public class Caller
            {
                public void M(Work w, Service s)
                {
                    Func<int, int> f = w.Step;
                    Task.Run(s.Run);
                }
            }
            """);
        Assert.Equal(new[] { "OTG3001", "OTG3001" }, all.Select(d => d.Id));
        Assert.Equal("w.Step", At(all[0]));
        Assert.Equal("This use of 'Step' is not instrumented: the method group is converted to a delegate ('Func<int, int>'), and calls through a delegate bypass the interceptor; call it from a lambda instead", all[0].GetMessage());
        Assert.Equal("s.Run", At(all[1]));
        Assert.Equal(DiagnosticSeverity.Warning, all[0].Severity);
    }

    [Fact]
    public void CallInsideExpressionTree_IsNotInstrumented()
    {
        Diagnostic d = Single(Work + """
            public class Caller { public void M(Work w) { Expression<Func<int>> e = () => w.Step(1); } }
            """, "OTG3001");
        Assert.Equal("w.Step(1)", At(d));
        Assert.Equal("This use of 'Step' is not instrumented: it is inside an expression tree, which is data handed to a LINQ provider, not a call an interceptor can replace", d.GetMessage());
    }

    [Fact]
    public void QueryOverIQueryable_AndFunctionPointer_AreNotInstrumented()
    {
        Diagnostic[] all = Analyze(Work + """
            public static class Util { [Traced] public static int Twice(int x) => 2 * x; }
            public class Caller
            {
                public unsafe void M(IQueryable<int> q, Work w)
                {
                    var big = from x in q where w.Step(x) > 3 select x;
                    delegate*<int, int> p = &Util.Twice;
                    var local = from x in new[] { 1 } where w.Step(x) > 3 select x;
                }
            }
            """);
        Assert.Equal(new[] { "OTG3001", "OTG3001" }, all.Select(d => d.Id));
        Assert.Equal("w.Step(x)", At(all[0]));
        Assert.Contains("expression tree", all[0].GetMessage());
        Assert.Equal("Util.Twice", At(all[1]));
        Assert.Equal("This use of 'Twice' is not instrumented: its address is taken, and calls through a function pointer bypass the interceptor", all[1].GetMessage());
    }

    [Fact]
    public void OrdinaryCalls_Lambdas_NameOf_AndUninstrumentedMethods_AreNotFlagged() => None(Work + """
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
        """, "OTG3001");

    [Fact]
    public void CoverageSummary_CountsReachedAndAllUses()
    {
        Diagnostic[] all = Analyze(Work + """
            public class Caller
            {
                public void M(Work w, Service s)
                {
                    w.Step(1); w.Step(2); s.Run(); _ = w.Load(1);
                    Func<int, int> f = w.Step;
                    Expression<Func<int>> e = () => w.Step(3);
                }
            }
            """, withSummary: true);
        Diagnostic summary = Assert.Single(all, d => d.Id == "OTG3005");
        Assert.Equal("OtelGen instrumented 4 of 6 call sites of [Traced]/[Effect] methods in this compilation", summary.GetMessage());
        Assert.Equal(DiagnosticSeverity.Hidden, summary.Severity);
        Assert.Equal(Location.None, summary.Location);
    }

    [Fact]
    public void CoverageSummary_CountsWhatTheGeneratorIntercepts_AndEveryUseItMisses()
    {
        Diagnostic[] all = Analyze(Work + """
            public interface ICounter { [Traced] void Inc(); }
            public abstract class Animal { [Traced] public abstract int Legs(); }
            public class Dog : Animal { public override int Legs() => 4; }
            public class Fire { [Traced] public async void Go() => await Task.Yield(); }
            public class Caller
            {
                static void Bump<T>(ref T c) where T : ICounter => c.Inc();
                static void Hit<T>(T c) where T : class, ICounter => c.Inc();
                public void M(Dog dog, Animal animal, Work w, dynamic d, Fire f)
                {
                    dog.Legs();
                    animal.Legs();
                    w.Step(d);
                    f.Go();
                }
            }
            """, withSummary: true);
        // Reached: dog.Legs() (the override, by its base's attribute), animal.Legs(), c.Inc() on a class.
        // Missed: c.Inc() on a T that may be a struct, w.Step(d) (dynamic), f.Go() (async void: OTG1001 on its declaration).
        Diagnostic summary = Assert.Single(all, d => d.Id == "OTG3005");
        Assert.Equal("OtelGen instrumented 3 of 6 call sites of [Traced]/[Effect] methods in this compilation", summary.GetMessage());
    }

    [Fact]
    public void CoverageSummary_IsAbsentWithoutOtelGen()
    {
        Diagnostic[] all = Analyze("public class C { public void M() { Action a = M; } }", withSummary: true, withRuntime: false);
        Assert.Empty(all);
    }

    [Fact]
    public void GeneratedInterceptors_AreNotCountedOrFlagged()
    {
        Diagnostic[] all = Analyze(Work, withSummary: true, extraFiles: ("/obj/Interceptors.g.cs", """
            public static class Intercepted { public static int Step(Work w, int x) { Func<int, int> f = w.Step; return w.Step(x); } }
            """));
        Assert.Equal("OtelGen instrumented 0 of 0 call sites of [Traced]/[Effect] methods in this compilation", Assert.Single(all).GetMessage());
    }

    [Theory]
    [InlineData("DB.Get", "db.get")]
    [InlineData("Cache.SetMany", "cache.set_many")]
    [InlineData("fetch", null)]
    [InlineData("db.", null)]
    public void EffectOperationName_MustBeSystemDotOperation(string operation, string? proposal)
    {
        Diagnostic d = Single($$"""public class E { [Effect("{{operation}}")] public void Go() { } }""", "OTG3002");
        Assert.Equal($"Effect operation '{operation}' should be '<system>.<operation>' in lowercase (e.g. 'db.get')" + (proposal is null ? "" : $": use '{proposal}'"), d.GetMessage());
        Assert.Equal("\"" + operation + "\"", At(d));
    }

    [Fact]
    public void WellFormedEffectOperation_IsNotFlagged() =>
        None("""public class E { [Effect("db.get")] public void A() { } [Effect("cache.set_many")] public void B() { } [Effect("http.client.get")] public void C() { } }""");

    [Fact]
    public async Task EffectOperation_Fix_Lowercases()
    {
        string? fixedSource = await Fix("""public class E { [Effect("DB.Get")] public void Go() { } }""", "OTG3002", new ReplaceLiteralCodeFix());
        Assert.Equal("""public class E { [Effect("db.get")] public void Go() { } }""", fixedSource);
    }

    [Fact]
    public void EffectTarget_MustBeNonEmptyLiteralOrCapturedParameter()
    {
        Diagnostic[] all = Analyze("""
            public class E
            {
                [Effect("db.get", Target = "")] public void A() { }
                [Effect("db.get", Target = "{table}")] public void B(string table) { }
                [Effect("db.get", Target = nameof(table))] public void C(string table) { }
            }
            """);
        Assert.Equal(new[] { "OTG3003", "OTG3003", "OTG3003" }, all.Select(d => d.Id));
        Assert.Equal("\"\"", At(all[0]));
        Assert.Equal("Effect target is empty: name what the operation acts on (Target = \"blog_post\"), or leave Target out and capture the parameter that holds it ([Tag(\"db.collection.name\")])", all[0].GetMessage());
        Assert.Equal("Effect target '{table}' is recorded as written: the generator does not substitute parameters; leave Target out and capture the parameter ([Tag(\"db.collection.name\")])", all[1].GetMessage());
        Assert.Equal("nameof(table)", At(all[2]));
        Assert.StartsWith("Effect target nameof(table) records the parameter's name, not its value", all[2].GetMessage());
    }

    [Fact]
    public void EffectTarget_LiteralOrCapturedParameter_IsNotFlagged() => None("""
        public class E
        {
            private const string Table = "blog_post";
            [Effect("db.get", Target = "blog_post")] public void A() { }
            [Effect("db.get", Target = Table)] public void B() { }
            [Effect("db.get")] public void C([Tag("db.collection.name")] string table) { }
        }
        """);

    [Fact]
    public void ImplicitAndUnnamedCalls_AreNotInstrumented_BaseCallsAreLeftToTheGenerator()
    {
        Diagnostic[] all = Analyze(Work + """
            [Traced]
            public class Bag : System.Collections.IEnumerable
            {
                public void Add(int x) { }
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => Array.Empty<int>().GetEnumerator();
            }
            public class Base { [Traced] public virtual void Run() { } }
            public class Derived : Base { public override void Run() => base.Run(); }
            public class Caller
            {
                public void M(Work w)
                {
                    var bag = new Bag { 1 };
                    _ = ((w.Step))(1);
                }
            }
            """, withSummary: true);
        Assert.Equal(new[] { "OTG3001", "OTG3001", "OTG3005" }, all.Select(d => d.Id));
        Assert.Equal("1", At(all[0]));
        Assert.Equal("This use of 'Add' is not instrumented: the compiler makes this call implicitly (collection initializer, query clause), and only calls written by name can be intercepted", all[0].GetMessage());
        Assert.Equal("((w.Step))(1)", At(all[1]));
        Assert.Equal("This use of 'Step' is not instrumented: the method is not called by name here, and only calls written by name can be intercepted", all[1].GetMessage());
        Assert.Equal("OtelGen instrumented 0 of 3 call sites of [Traced]/[Effect] methods in this compilation", all[2].GetMessage());
    }

    [Fact]
    public void TracedNamespaceRule_InstrumentsMatchingPublicMethods()
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
        Diagnostic[] all = Analyze("""
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
                        Func<int, int> a = r.Load;
                        Func<int, int> b = h.Load;
                        Func<string> c = r.ToString;
                        r.Load(1);
                    }
                }
            }
            """ + attribute, withSummary: true);
        Assert.Equal(new[] { "OTG3001", "OTG3005" }, all.Select(d => d.Id));
        Assert.Equal("r.Load", At(all[0]));
        Assert.Equal("OtelGen instrumented 1 of 2 call sites of [Traced]/[Effect] methods in this compilation", all[1].GetMessage());
    }

    [Fact]
    public void SensitiveCapture_IsFlagged()
    {
        Diagnostic[] all = Analyze("""
            public class Login
            {
                [Traced] public void SignIn(
                    [Tag("shop.user.name")] string userName,
                    [Tag("shop.user.secret")] string password,
                    [Tag("shop.api.key")] string apiKey,
                    [Tag("shop.card", UseToString = true)] System.Security.SecureString card,
                    [Tag("shop.card_number")] string creditCardNumber,
                    [Tag("shop.auth")] string authorization) { }
            }
            """).Where(d => d.Id == "OTG3004").ToArray();
        Assert.Equal(5, all.Length);
        Assert.Equal("Tag(\"shop.user.secret\")", At(all[0]));
        Assert.Equal("Parameter 'password' looks sensitive (its name says 'password'); capturing it would send it to your telemetry backend", all[0].GetMessage());
        Assert.Equal("Parameter 'apiKey' looks sensitive (its name says 'api key'); capturing it would send it to your telemetry backend", all[1].GetMessage());
        Assert.Contains("its type 'SecureString' holds a credential", all[2].GetMessage());
        Assert.Contains("'credit card'", all[3].GetMessage());
        Assert.Contains("'authorization'", all[4].GetMessage());
    }

    [Fact]
    public void HarmlessCaptures_AreNotFlagged() => None("""
        public class Chat
        {
            [Traced] public void Ask([Tag("gen_ai.usage.input_tokens")] int inputTokens, [Tag("shop.author")] string author, [Tag("shop.tokenizer")] string tokenizer, System.Threading.CancellationToken cancellationToken) { }
        }
        """, "OTG3004");

    [Fact]
    public async Task SensitiveCapture_Fix_RemovesTheAttribute()
    {
        string source = """
            public class Login
            {
                [Traced] public void SignIn([Tag("shop.user.name")] string userName, [Tag("shop.user.secret")] string password) { }
                [Traced] public void Other([Tag("shop.x"), Tag("shop.y")] string token) { }
            }
            """;
        string? fixedSource = await Fix(source, "OTG3004", new RemoveCaptureCodeFix());
        Assert.Equal(source.Replace("""[Tag("shop.user.secret")] string password""", "string password"), fixedSource);

        string? second = await Fix(source, "OTG3004", new RemoveCaptureCodeFix(), which: 1);
        Assert.Equal(source.Replace("""[Tag("shop.x"), Tag("shop.y")]""", """[Tag("shop.y")]"""), second);
    }
}
