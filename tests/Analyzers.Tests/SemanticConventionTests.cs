using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;
using Fix = OtelGen.Analyzers.Tests.CodeFixVerifier<OtelGen.Analyzers.SemanticConventionsAnalyzer, OtelGen.Analyzers.CodeFixes.ReplaceLiteralCodeFix>;
using Verify = OtelGen.Analyzers.Tests.AnalyzerVerifier<OtelGen.Analyzers.SemanticConventionsAnalyzer>;

namespace OtelGen.Analyzers.Tests;

/// <summary>
/// The semantic-convention analyzer (OTG2001-OTG2010) and its literal fix, through the Roslyn testing SDK: markup
/// marks where each diagnostic is, and a test fails on any diagnostic of any OtelGen analyzer it does not expect.
/// </summary>
public class SemanticConventionTests
{
    private static string InMethod(string body) => "public class C { public void M(Activity a, SpanRecord r) { " + body + " } }";

    [Fact]
    public Task DeprecatedKey_OnActivitySetTag_NamesReplacement() =>
        Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"http.method"|}, "GET");"""),
            Verify.Diagnostic("OTG2001").WithLocation(0).WithSeverity(DiagnosticSeverity.Warning)
                .WithMessage("'http.method' is deprecated in semantic conventions v1.44.0: use 'http.request.method'"));

    [Fact]
    public Task DeprecatedKey_InTagAttribute_And_SpanRecord() =>
        Verify.VerifyAnalyzerAsync("""
            public class C
            {
                [Traced] public void Query([Tag({|#0:"db.system"|})] string system) { }
                public void M(SpanRecord r) => r.SetAttribute({|#1:"http.status_code"|}, 200);
            }
            """,
            Verify.Diagnostic("OTG2001").WithLocation(0).WithMessage("'db.system' is deprecated in semantic conventions v1.44.0: use 'db.system.name'"),
            Verify.Diagnostic("OTG2001").WithLocation(1).WithMessage("'http.status_code' is deprecated in semantic conventions v1.44.0: use 'http.response.status_code'"));

    [Fact]
    public Task CurrentKeys_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag("http.request.method", "GET"); r.SetAttribute("http.response.status_code", 200); a.SetTag("db.system.name", "postgresql");"""));

    [Fact]
    public Task DeprecatedKey_Fix_RewritesToRenamedKey() =>
        Fix.VerifyCodeFixAsync(
            InMethod("""a.SetTag({|OTG2001:"http.method"|}, "GET");"""),
            InMethod("""a.SetTag("http.request.method", "GET");"""));

    [Fact]
    public Task ObsoletedKey_SaysThereIsNoReplacement() =>
        Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"error.message"|}, "boom");"""),
            Verify.Diagnostic("OTG2002").WithLocation(0)
                .WithMessage("'error.message' is deprecated in semantic conventions v1.44.0 (obsoleted) and has no replacement key"));

    [Fact]
    public Task ObsoletedKey_NegativeForLiveKey() => Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag("error.type", "timeout");"""));

    [Theory]
    [InlineData("Shop.OrderId", "it has uppercase letters", "shop.order_id")]
    [InlineData("shop order", "it has white space", "shop_order")]
    [InlineData("1shop.order", "it starts with a digit", null)]
    [InlineData("shop..order", "it has two delimiters in a row", "shop.order")]
    [InlineData("shop.order.", "it ends with a delimiter", "shop.order")]
    [InlineData("shop-order", "it has characters other than a-z, 0-9, '.' and '_'", "shop_order")]
    public Task BadlyNamedKey_IsFlaggedWithSnakeCaseProposal(string key, string problem, string? proposal) =>
        Verify.VerifyAnalyzerAsync(InMethod($$"""r.SetAttribute({|#0:"{{key}}"|}, 1);"""),
            Verify.Diagnostic("OTG2003").WithLocation(0)
                .WithMessage($"Attribute key '{key}' breaks the semantic-conventions naming rules ({problem})" + (proposal is null ? "" : $": use '{proposal}'")));

    [Fact]
    public Task WellNamedApplicationKey_IsNotFlagged() => Verify.VerifyAnalyzerAsync(InMethod("""r.SetAttribute("shop.order_id", 1); r.SetAttribute("n", 1);"""));

    [Fact]
    public Task BadlyNamedKey_Fix_WritesSnakeCase() =>
        Fix.VerifyCodeFixAsync(
            InMethod("""r.SetAttribute({|OTG2003:"Shop.OrderId"|}, 1);"""),
            InMethod("""r.SetAttribute("shop.order_id", 1);"""));

    [Fact]
    public Task TypoInSemConvNamespace_SuggestsNearestKey() =>
        Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"http.request.methd"|}, "GET");"""),
            Verify.Diagnostic("OTG2004").WithLocation(0)
                .WithMessage("'http.request.methd' is not in the semantic-conventions registry v1.44.0: did you mean 'http.request.method'?"));

    [Fact]
    public Task TypoCheck_NegativeForRegisteredKey() => Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag("http.route", "/posts/{id}");"""));

    [Fact]
    public Task Typo_Fix_WritesNearestKey() =>
        Fix.VerifyCodeFixAsync(
            InMethod("""a.SetTag({|OTG2004:"url.shceme"|}, "https");"""),
            InMethod("""a.SetTag("url.scheme", "https");"""));

    [Fact]
    public Task ValueOfWrongType_IsFlagged_OnCallsAndCaptures() =>
        Verify.VerifyAnalyzerAsync("""
            public class C
            {
                [Traced] public void Handle([Tag({|#0:"http.response.status_code"|})] string code, [Tag("server.port")] int port) { }
                [Traced(ReturnTag = {|OTG2005:"http.response.status_code"|})] public Task<string> Fetch() => Task.FromResult("");
                public void M(SpanRecord r, Activity a) { r.SetAttribute({|OTG2005:"http.response.status_code"|}, "200"); a.SetTag({|#1:"server.port"|}, "8080"); }
            }
            """,
            Verify.Diagnostic("OTG2005").WithLocation(0).WithMessage("'http.response.status_code' is int in the semantic conventions, but the value written here is string"),
            Verify.Diagnostic("OTG2005").WithLocation(1).WithMessage("'server.port' is int in the semantic conventions, but the value written here is string"));

    [Fact]
    public Task ValueOfRightType_IsNotFlagged() => Verify.VerifyAnalyzerAsync("""
        public class C
        {
            [Traced] public void Handle([Tag("http.response.status_code")] int code, [Tag("url.full", UseToString = true)] Uri url, [Tag("http.request.header.accept")] string[] accept) { }
            [Effect("db.get", ReturnTag = "db.response.returned_rows")] public ValueTask<long> Count() => default;
            public void M(SpanRecord r, Activity a, object boxed) { r.SetAttribute("http.response.status_code", 200); a.SetTag("server.port", 8080); a.SetTag("server.port", boxed); }
        }
        """);

    [Fact]
    public async Task EnumValueOutsideListedMembers_IsOnlyInformational()
    {
        await Verify.VerifyAnalyzerAsync(InMethod("""r.SetAttribute({|#0:"http.request.method"|}, "FETCH");"""),
            Verify.Diagnostic("OTG2006").WithLocation(0).WithSeverity(DiagnosticSeverity.Info)
                .WithMessage("'FETCH' is not a listed value of 'http.request.method' (listed: CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE, QUERY, _OTHER); enums are open, so this is only a note"));

        await Verify.VerifyAnalyzerAsync(InMethod("""r.SetAttribute({|#0:"cpython.gc.generation"|}, 7);"""),
            Verify.Diagnostic("OTG2006").WithLocation(0)
                .WithMessage("'7' is not a listed value of 'cpython.gc.generation' (listed: 0, 1, 2); enums are open, so this is only a note"));
    }

    [Fact]
    public Task ListedEnumValue_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(InMethod("""r.SetAttribute("http.request.method", "GET"); r.SetAttribute("cpython.gc.generation", 2); r.SetAttribute("error.type", "_OTHER");"""));

    [Fact]
    public Task OtelNamespace_IsReserved() =>
        Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"otel.my_flag"|}, true);"""),
            Verify.Diagnostic("OTG2007").WithLocation(0)
                .WithMessage("'otel.my_flag' uses the reserved 'otel.*' namespace, which belongs to the OpenTelemetry specification"));

    [Fact]
    public Task RegisteredOtelKey_IsNotFlagged() => Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag("otel.status_code", "OK");"""));

    [Fact]
    public async Task ApplicationKeyInSemConvNamespace_IsFlagged()
    {
        await Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"http.my_custom_thing"|}, 1);"""),
            Verify.Diagnostic("OTG2008").WithLocation(0).WithSeverity(DiagnosticSeverity.Info)
                .WithMessage("'http.my_custom_thing' is not a registered key but uses the semantic-conventions namespace 'http' as its prefix; prefix application keys with your own name (e.g. a reverse domain)"));

        await Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"app.order.id"|}, 1);"""),
            Verify.Diagnostic("OTG2008").WithLocation(0)
                .WithMessage("'app.order.id' is not a registered key but uses the semantic-conventions namespace 'app' as its prefix; prefix application keys with your own name (e.g. a reverse domain)"));
    }

    [Fact]
    public Task ApplicationKeyWithOwnPrefix_IsNotFlagged() => Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag("shop.order.id", 1); a.SetTag("com.example.cart_size", 3);"""));

    [Fact]
    public async Task SemConvNamespaceUsedAsKey_IsFlagged()
    {
        await Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"http.request"|}, "x");"""),
            Verify.Diagnostic("OTG2009").WithLocation(0)
                .WithMessage("'http.request' is a namespace of semantic-conventions keys (such as 'http.request.body.size'), so it cannot also be an attribute key"));

        await Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"db"|}, "x");"""),
            Verify.Diagnostic("OTG2009").WithLocation(0).WithSeverity(DiagnosticSeverity.Warning));
    }

    [Fact]
    public Task KeyUsedAsNamespaceOfAnotherApplicationKey_IsFlaggedAtCompilationEnd() =>
        Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag({|#0:"shop.order"|}, 1); a.SetTag("shop.order.id", 2); a.SetTag("shop.cart", 3);"""),
            Verify.Diagnostic("OTG2010").WithLocation(0)
                .WithMessage("'shop.order' is written as an attribute key, and also as the namespace of 'shop.order.id'; a key must not be a namespace of another key"));

    [Fact]
    public Task SiblingApplicationKeys_AreNotFlagged() => Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag("shop.order_id", 1); a.SetTag("shop.order.id", 2);"""));

    [Fact]
    public async Task TemplateKeys_AcceptAnySuffix()
    {
        await Verify.VerifyAnalyzerAsync(InMethod("""a.SetTag("http.request.header.x-forwarded-for", new[] { "10.0.0.1" }); a.SetTag("k8s.pod.label.App_Name", "web");"""));
        await Verify.VerifyAnalyzerAsync(InMethod("""r.SetAttribute({|#0:"http.response.header.content-type"|}, "text/html");"""),
            Verify.Diagnostic("OTG2005").WithLocation(0)
                .WithMessage("'http.response.header.content-type' is string[] in the semantic conventions, but the value written here is string"));
    }

    [Fact]
    public Task AllKeySinks_AreRecognized() => Verify.VerifyAnalyzerAsync("""
        public class C
        {
            public void M(Activity a, SpanRecord r, Counter<long> counter, Histogram<double> histogram)
            {
                var kv = new KeyValue({|OTG2001:"http.method"|}, "GET");
                var tags = new TagList { { {|OTG2001:"http.method"|}, "GET" } };
                tags.Add({|OTG2001:"http.method"|}, "GET");
                tags.Add(new KeyValuePair<string, object?>({|OTG2001:"http.method"|}, "GET"));
                counter.Add(1, new KeyValuePair<string, object?>({|OTG2001:"http.method"|}, "GET"));
                histogram.Record(1.0, new KeyValuePair<string, object?>({|OTG2001:"http.method"|}, "GET"), new KeyValuePair<string, object?>({|OTG2001:"db.system"|}, "x"));
                a.AddTag({|OTG2001:"http.method"|}, "GET");
                Tracing.CurrentSpan.SetAttribute({|OTG2001:"http.method"|}, "GET").Set({|OTG2001:"http.method"|}, "GET");
                using (var scope = Tracing.StartSpan("x")) { scope.SetAttribute({|OTG2001:"http.method"|}, "GET"); }
                var collection = new ActivityTagsCollection { { {|OTG2001:"http.method"|}, "GET" } };
                a.AddEvent(new ActivityEvent("e", tags: new ActivityTagsCollection(new[] { KeyValuePair.Create<string, object?>({|OTG2001:"http.method"|}, "GET") })));
            }
        }
        """);

    [Fact]
    public Task KeysThatAreNotAttributeKeys_AreIgnored() => Verify.VerifyAnalyzerAsync("""
        public class C
        {
            public void M(OtelGen.Context.Baggage baggage, string dynamicKey, Activity a)
            {
                var d = new Dictionary<string, object?> { { "http.method", 1 } };
                d.Add("Not A Key", 2);
                var list = new List<KeyValuePair<string, object?>> { new("http.method", 1) };
                baggage.With("User Id", "42");
                using var scope = OtelGen.Context.TraceContext.SetBaggage("User Id", "42");
                Tracing.CurrentSpan.AddEvent("Order Placed").UpdateName("Some Name");
                new SpanRecord().TryGetAttribute("http.method", out _);
                a.SetBaggage("http.method", "x");
                a.SetTag(dynamicKey, 1);
                Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME");
            }
        }
        """);

    [Fact]
    public Task HelpersOfTheUsersOwnOtelGenNamespace_AreNotTheOtelGenApi() => Verify.VerifyAnalyzerAsync("""
        namespace OtelGen.Runtime.Tests
        {
            public static class Kit
            {
                public static string? Attr(SpanRecord span, string key) => null;
                public static void SetAttribute(string key, string value) { }
                public static void M(SpanRecord r) { Attr(r, "http.method"); SetAttribute("http.status_code", "x"); }
            }
        }
        """);

    [Fact]
    public Task KeysTheRuntimeItselfWrites_AreNotFlagged() => Verify.VerifyAnalyzerAsync(InMethod("""
        r.SetAttribute("code.function.name", "M"); r.SetAttribute("code.file.path", "a.cs"); r.SetAttribute("code.line.number", 3);
        r.SetAttribute("db.operation.name", "get"); r.SetAttribute("db.collection.name", "blog_post"); r.SetAttribute("error.type", "System.TimeoutException");
        r.SetAttribute("exception.type", "System.TimeoutException"); r.SetAttribute("exception.message", "m"); r.SetAttribute("exception.stacktrace", "s");
        r.SetAttribute("job.queue_wait_ms", 3.0); r.SetAttribute("job.park.cause", "io"); r.SetAttribute("otelgen.dropped_spans", 2);
        """));

    [Fact]
    public Task GeneratedCode_IsNotAnalyzed()
    {
        var test = new Verify.Test { TestCode = OtelGenTestSetup.Usings + "public class C { }" };
        test.TestState.Sources.Add(("/obj/Gen.g.cs", OtelGenTestSetup.Usings + """public class G { public void M(Activity a) => a.SetTag("http.method", "GET"); }"""));
        return test.RunAsync();
    }
}
