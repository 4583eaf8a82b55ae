using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using OtelGen.Analyzers.CodeFixes;
using Xunit;
using static OtelGen.Analyzers.Tests.Harness;

namespace OtelGen.Analyzers.Tests;

public class SemanticConventionTests
{
    private static string InMethod(string body) => "public class C { public void M(Activity a, SpanRecord r) { " + body + " } }";

    [Fact]
    public void DeprecatedKey_OnActivitySetTag_NamesReplacement()
    {
        Diagnostic d = Single(InMethod("""a.SetTag("http.method", "GET");"""), "OTG2001");
        Assert.Equal("\"http.method\"", At(d));
        Assert.Equal("'http.method' is deprecated in semantic conventions v1.44.0: use 'http.request.method'", d.GetMessage());
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
    }

    [Fact]
    public void DeprecatedKey_InTagAttribute_And_SpanRecord()
    {
        Diagnostic[] all = Analyze("""
            public class C
            {
                [Traced] public void Query([Tag("db.system")] string system) { }
                public void M(SpanRecord r) => r.SetAttribute("http.status_code", 200);
            }
            """);
        Assert.True(all.Length == 2, string.Join("; ", all.Select(d => d.Id + " " + At(d) + " " + d.GetMessage())));
        Assert.Contains("use 'db.system.name'", all[0].GetMessage());
        Assert.Equal("\"db.system\"", At(all[0]));
        Assert.Contains("use 'http.response.status_code'", all[1].GetMessage());
    }

    [Fact]
    public void CurrentKeys_AreNotFlagged() =>
        None(InMethod("""a.SetTag("http.request.method", "GET"); r.SetAttribute("http.response.status_code", 200); a.SetTag("db.system.name", "postgresql");"""));

    [Fact]
    public async Task DeprecatedKey_Fix_RewritesToRenamedKey()
    {
        string? fixedSource = await Fix(InMethod("""a.SetTag("http.method", "GET");"""), "OTG2001", new ReplaceLiteralCodeFix());
        Assert.Equal(InMethod("""a.SetTag("http.request.method", "GET");"""), fixedSource);
    }

    [Fact]
    public void ObsoletedKey_SaysThereIsNoReplacement()
    {
        Diagnostic d = Single(InMethod("""a.SetTag("error.message", "boom");"""), "OTG2002");
        Assert.Equal("'error.message' is deprecated in semantic conventions v1.44.0 (obsoleted) and has no replacement key", d.GetMessage());
        Assert.Equal("\"error.message\"", At(d));
    }

    [Fact]
    public void ObsoletedKey_NegativeForLiveKey() => None(InMethod("""a.SetTag("error.type", "timeout");"""));

    [Theory]
    [InlineData("Shop.OrderId", "it has uppercase letters", "shop.order_id")]
    [InlineData("shop order", "it has white space", "shop_order")]
    [InlineData("1shop.order", "it starts with a digit", null)]
    [InlineData("shop..order", "it has two delimiters in a row", "shop.order")]
    [InlineData("shop.order.", "it ends with a delimiter", "shop.order")]
    [InlineData("shop-order", "it has characters other than a-z, 0-9, '.' and '_'", "shop_order")]
    public void BadlyNamedKey_IsFlaggedWithSnakeCaseProposal(string key, string problem, string? proposal)
    {
        Diagnostic d = Single(InMethod($"""r.SetAttribute("{key}", 1);"""), "OTG2003");
        string expected = $"Attribute key '{key}' breaks the semantic-conventions naming rules ({problem})" + (proposal is null ? "" : $": use '{proposal}'");
        Assert.Equal(expected, d.GetMessage());
        Assert.Equal("\"" + key + "\"", At(d));
    }

    [Fact]
    public void WellNamedApplicationKey_IsNotFlagged() => None(InMethod("""r.SetAttribute("shop.order_id", 1); r.SetAttribute("n", 1);"""));

    [Fact]
    public async Task BadlyNamedKey_Fix_WritesSnakeCase()
    {
        string? fixedSource = await Fix(InMethod("""r.SetAttribute("Shop.OrderId", 1);"""), "OTG2003", new ReplaceLiteralCodeFix());
        Assert.Equal(InMethod("""r.SetAttribute("shop.order_id", 1);"""), fixedSource);
    }

    [Fact]
    public void TypoInSemConvNamespace_SuggestsNearestKey()
    {
        Diagnostic d = Single(InMethod("""a.SetTag("http.request.methd", "GET");"""), "OTG2004");
        Assert.Equal("'http.request.methd' is not in the semantic-conventions registry v1.44.0: did you mean 'http.request.method'?", d.GetMessage());
        Assert.Equal("\"http.request.methd\"", At(d));
    }

    [Fact]
    public void TypoCheck_NegativeForRegisteredKey() => None(InMethod("""a.SetTag("http.route", "/posts/{id}");"""));

    [Fact]
    public async Task Typo_Fix_WritesNearestKey()
    {
        string? fixedSource = await Fix(InMethod("""a.SetTag("url.shceme", "https");"""), "OTG2004", new ReplaceLiteralCodeFix());
        Assert.Equal(InMethod("""a.SetTag("url.scheme", "https");"""), fixedSource);
    }

    [Fact]
    public void ValueOfWrongType_IsFlagged_OnCallsAndCaptures()
    {
        Diagnostic[] all = Analyze("""
            public class C
            {
                [Traced] public void Handle([Tag("http.response.status_code")] string code, [Tag("server.port")] int port) { }
                [Traced(ReturnTag = "http.response.status_code")] public Task<string> Fetch() => Task.FromResult("");
                public void M(SpanRecord r, Activity a) { r.SetAttribute("http.response.status_code", "200"); a.SetTag("server.port", "8080"); }
            }
            """);
        Assert.Equal(new[] { "OTG2005", "OTG2005", "OTG2005", "OTG2005" }, all.Select(d => d.Id));
        Assert.Equal("'http.response.status_code' is int in the semantic conventions, but the value written here is string", all[0].GetMessage());
        Assert.Equal("\"http.response.status_code\"", At(all[0]));
        Assert.Equal("'server.port' is int in the semantic conventions, but the value written here is string", all[3].GetMessage());
    }

    [Fact]
    public void ValueOfRightType_IsNotFlagged() => None("""
        public class C
        {
            [Traced] public void Handle([Tag("http.response.status_code")] int code, [Tag("url.full", UseToString = true)] Uri url, [Tag("http.request.header.accept")] string[] accept) { }
            [Effect("db.get", ReturnTag = "db.response.returned_rows")] public ValueTask<long> Count() => default;
            public void M(SpanRecord r, Activity a, object boxed) { r.SetAttribute("http.response.status_code", 200); a.SetTag("server.port", 8080); a.SetTag("server.port", boxed); }
        }
        """);

    [Fact]
    public void EnumValueOutsideListedMembers_IsOnlyInformational()
    {
        Diagnostic d = Single(InMethod("""r.SetAttribute("http.request.method", "FETCH");"""), "OTG2006");
        Assert.Equal(DiagnosticSeverity.Info, d.Severity);
        Assert.StartsWith("'FETCH' is not a listed value of 'http.request.method' (listed: CONNECT, DELETE, GET,", d.GetMessage());

        Diagnostic generation = Single(InMethod("""r.SetAttribute("cpython.gc.generation", 7);"""), "OTG2006");
        Assert.Equal("'7' is not a listed value of 'cpython.gc.generation' (listed: 0, 1, 2); enums are open, so this is only a note", generation.GetMessage());
    }

    [Fact]
    public void ListedEnumValue_IsNotFlagged() => None(InMethod("""r.SetAttribute("http.request.method", "GET"); r.SetAttribute("cpython.gc.generation", 2); r.SetAttribute("error.type", "_OTHER");"""));

    [Fact]
    public void OtelNamespace_IsReserved()
    {
        Diagnostic d = Single(InMethod("""a.SetTag("otel.my_flag", true);"""), "OTG2007");
        Assert.Equal("'otel.my_flag' uses the reserved 'otel.*' namespace, which belongs to the OpenTelemetry specification", d.GetMessage());
    }

    [Fact]
    public void RegisteredOtelKey_IsNotFlagged() => None(InMethod("""a.SetTag("otel.status_code", "OK");"""));

    [Fact]
    public void ApplicationKeyInSemConvNamespace_IsFlagged()
    {
        Diagnostic d = Single(InMethod("""a.SetTag("http.my_custom_thing", 1);"""), "OTG2008");
        Assert.Equal(DiagnosticSeverity.Info, d.Severity);
        Assert.Equal("'app.order.id' is not a registered key but uses the semantic-conventions namespace 'app' as its prefix; prefix application keys with your own name (e.g. a reverse domain)",
            Single(InMethod("""a.SetTag("app.order.id", 1);"""), "OTG2008").GetMessage());
        Assert.Equal("'http.my_custom_thing' is not a registered key but uses the semantic-conventions namespace 'http' as its prefix; prefix application keys with your own name (e.g. a reverse domain)", d.GetMessage());
    }

    [Fact]
    public void ApplicationKeyWithOwnPrefix_IsNotFlagged() => None(InMethod("""a.SetTag("shop.order.id", 1); a.SetTag("com.example.cart_size", 3);"""));

    [Fact]
    public void SemConvNamespaceUsedAsKey_IsFlagged()
    {
        Diagnostic d = Single(InMethod("""a.SetTag("http.request", "x");"""), "OTG2009");
        Assert.StartsWith("'http.request' is a namespace of semantic-conventions keys (such as 'http.request.", d.GetMessage());
        Assert.Equal(DiagnosticSeverity.Warning, Single(InMethod("""a.SetTag("db", "x");"""), "OTG2009").Severity);
    }

    [Fact]
    public void KeyUsedAsNamespaceOfAnotherApplicationKey_IsFlaggedAtCompilationEnd()
    {
        Diagnostic d = Single(InMethod("""a.SetTag("shop.order", 1); a.SetTag("shop.order.id", 2); a.SetTag("shop.cart", 3);"""), "OTG2010");
        Assert.Equal("\"shop.order\"", At(d));
        Assert.Equal("'shop.order' is written as an attribute key, and also as the namespace of 'shop.order.id'; a key must not be a namespace of another key", d.GetMessage());
    }

    [Fact]
    public void SiblingApplicationKeys_AreNotFlagged() => None(InMethod("""a.SetTag("shop.order_id", 1); a.SetTag("shop.order.id", 2);"""));

    [Fact]
    public void TemplateKeys_AcceptAnySuffix()
    {
        None(InMethod("""a.SetTag("http.request.header.x-forwarded-for", new[] { "10.0.0.1" }); a.SetTag("k8s.pod.label.App_Name", "web");"""));
        Diagnostic d = Single(InMethod("""r.SetAttribute("http.response.header.content-type", "text/html");"""), "OTG2005");
        Assert.Contains("is string[] in the semantic conventions", d.GetMessage());
    }

    [Fact]
    public void AllKeySinks_AreRecognized()
    {
        Diagnostic[] all = Analyze("""
            public class C
            {
                public void M(Activity a, SpanRecord r, Counter<long> counter, Histogram<double> histogram)
                {
                    var kv = new KeyValue("http.method", "GET");
                    var tags = new TagList { { "http.method", "GET" } };
                    tags.Add("http.method", "GET");
                    tags.Add(new KeyValuePair<string, object?>("http.method", "GET"));
                    counter.Add(1, new KeyValuePair<string, object?>("http.method", "GET"));
                    histogram.Record(1.0, new KeyValuePair<string, object?>("http.method", "GET"), new KeyValuePair<string, object?>("db.system", "x"));
                    a.AddTag("http.method", "GET");
                    Tracer.CurrentSpan.SetAttribute("http.method", "GET").Set("http.method", "GET");
                    using (var scope = Tracer.StartSpan("x")) { scope.SetAttribute("http.method", "GET"); }
                    var collection = new ActivityTagsCollection { { "http.method", "GET" } };
                    a.AddEvent(new ActivityEvent("e", tags: new ActivityTagsCollection(new[] { KeyValuePair.Create<string, object?>("http.method", "GET") })));
                }
            }
            """);
        Assert.Equal(13, all.Count(d => d.Id == "OTG2001"));
        Assert.Equal(13, all.Length);
    }

    [Fact]
    public void KeysThatAreNotAttributeKeys_AreIgnored() => None("""
        public class C
        {
            public void M(OtelGen.Context.Baggage baggage, string dynamicKey, Activity a)
            {
                var d = new Dictionary<string, object?> { { "http.method", 1 } };
                d.Add("Not A Key", 2);
                var list = new List<KeyValuePair<string, object?>> { new("http.method", 1) };
                baggage.With("User Id", "42");
                using var scope = OtelGen.Context.TraceContext.SetBaggage("User Id", "42");
                Tracer.CurrentSpan.AddEvent("Order Placed").UpdateName("Some Name");
                new SpanRecord().TryGetAttribute("http.method", out _);
                a.SetBaggage("http.method", "x");
                a.SetTag(dynamicKey, 1);
                Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME");
            }
        }
        """);

    [Fact]
    public void HelpersOfTheUsersOwnOtelGenNamespace_AreNotTheOtelGenApi() => None("""
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
    public void KeysTheRuntimeItselfWrites_AreNotFlagged() => None(InMethod("""
        r.SetAttribute("code.function.name", "M"); r.SetAttribute("code.file.path", "a.cs"); r.SetAttribute("code.line.number", 3);
        r.SetAttribute("db.operation.name", "get"); r.SetAttribute("db.collection.name", "blog_post"); r.SetAttribute("error.type", "System.TimeoutException");
        r.SetAttribute("exception.type", "System.TimeoutException"); r.SetAttribute("exception.message", "m"); r.SetAttribute("exception.stacktrace", "s");
        r.SetAttribute("job.queue_wait_ms", 3.0); r.SetAttribute("job.park.cause", "io"); r.SetAttribute("otelgen.dropped_spans", 2);
        """));

    [Fact]
    public void GeneratedCode_IsNotAnalyzed()
    {
        Diagnostic[] all = Analyze("public class C { }", extraFiles: ("/obj/Gen.g.cs", """public class G { public void M(Activity a) => a.SetTag("http.method", "GET"); }"""));
        Assert.Empty(all);
    }
}
