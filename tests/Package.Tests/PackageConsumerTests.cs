using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;
using OtelGen.TestSupport;

namespace OtelGen.Package.Tests;

/// <summary>
/// Packs the repository once and builds a small program against the package from a local folder feed
/// (a private NuGet package folder, so the fresh package is what restores): the real user path.
/// </summary>
public sealed class PackedConsumer : IDisposable
{
    public PackedConsumer()
    {
        Work = Path.Combine(Path.GetTempPath(), "otelgen-consumer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Work);
        string feed = Path.Combine(Work, "feed");
        Version = "0.0.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        Log += Command.Run("dotnet", new[] { "pack", Path.Combine(RepoPaths.Root, "src", "Runtime", "OtelGen.Runtime.csproj"), "-c", "Release", "-o", feed, $"-p:Version={Version}" }, RepoPaths.Root);
        Package = Path.Combine(feed, $"OtelGen.{Version}.nupkg");

        App = Path.Combine(Work, "app");
        Directory.CreateDirectory(App);
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Consumer")))
        {
            File.Copy(file, Path.Combine(App, Path.GetFileName(file)));
        }
        File.WriteAllText(Path.Combine(App, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Work, "packages") };
        Log += Command.Run("dotnet", new[] { "build", "-c", "Release", $"-p:OtelGenVersion={Version}" }, App, Environment);
    }

    public string Work { get; }
    public string Version { get; }
    public string Package { get; }
    public string App { get; }
    public Dictionary<string, string> Environment { get; }
    public string Log { get; } = "";

    public void Dispose()
    {
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Runs the program built against the packed package with OTLP export pointed at a real HTTP listener
/// on 127.0.0.1, and checks the span tree the listener received, in both OTLP encodings.
/// </summary>
public class PackageConsumerTests : IClassFixture<PackedConsumer>
{
    private readonly PackedConsumer _consumer;
    private readonly ITestOutputHelper _output;

    public PackageConsumerTests(PackedConsumer consumer, ITestOutputHelper output)
    {
        _consumer = consumer;
        _output = output;
    }

    [Fact]
    public void The_package_holds_the_runtime_the_generator_the_analyzers_and_the_interceptor_props()
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(_consumer.Package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net8.0/OtelGen.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/OtelGen.Generator.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/OtelGen.Analyzers.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/OtelGen.Analyzers.CodeFixes.dll", entries);
        Assert.Contains("build/OtelGen.props", entries);
        Assert.Contains("buildTransitive/OtelGen.props", entries);
        Assert.Contains("build/OtelGen.targets", entries);
        Assert.Contains("buildTransitive/OtelGen.targets", entries);
        using var props = new StreamReader(zip.GetEntry("build/OtelGen.props")!.Open());
        Assert.Contains("OtelGen.Generated", props.ReadToEnd());
    }

    [Fact]
    public void With_OtelGenGenerator_false_the_program_is_built_without_the_generator_and_records_no_span()
    {
        string artifacts = Path.Combine(_consumer.Work, "untraced");
        _output.WriteLine(Command.Run("dotnet", new[] { "build", "-c", "Release", $"-p:OtelGenVersion={_consumer.Version}", "-p:OtelGenGenerator=false", "-p:EmitCompilerGeneratedFiles=true", "--artifacts-path", artifacts }, _consumer.App, _consumer.Environment));
        Assert.False(Directory.Exists(Path.Combine(artifacts, "obj", "Consumer", "release", "generated", "OtelGen.Generator")), "the generator ran");

        using var collector = new OtlpListener();
        var env = new Dictionary<string, string>(_consumer.Environment)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_SERVICE_NAME"] = "consumer-test",
        };
        string stdout = Command.Run("dotnet", new[] { Path.Combine(artifacts, "bin", "Consumer", "release", "Consumer.dll") }, _consumer.App, env);
        Assert.Contains("total=9", stdout);
        Assert.Equal(0, collector.Count);
    }

    [Theory]
    [InlineData("http/json")]
    [InlineData("http/protobuf")]
    public void A_program_built_against_the_package_exports_its_span_tree(string protocol)
    {
        using var collector = new OtlpListener();
        var env = new Dictionary<string, string>(_consumer.Environment)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
            ["OTEL_SERVICE_NAME"] = "consumer-test",
        };
        string stdout = Command.Run("dotnet", new[] { "run", "-c", "Release", "--no-build", $"-p:OtelGenVersion={_consumer.Version}" }, _consumer.App, env);
        _output.WriteLine(stdout);
        Assert.Contains("total=9", stdout);

        List<ReceivedSpan> spans = collector.Spans;
        Assert.Equal(5, spans.Count);
        Assert.All(spans, s => Assert.Equal("consumer-test", s.ServiceName));
        ReceivedSpan root = Assert.Single(spans, s => s.Name == "Work.RunAsync");
        Assert.Equal("", root.ParentSpanId);
        Assert.Equal(3, spans.Count(s => s.Name == "Work.Step" && s.ParentSpanId == root.SpanId && s.TraceId == root.TraceId));
        ReceivedSpan effect = Assert.Single(spans, s => s.Name == "db.get blog_post");
        Assert.Equal(root.SpanId, effect.ParentSpanId);
        Assert.Equal(3, effect.Kind); // CLIENT
        Assert.Equal("blog_post", effect.Attributes["db.collection.name"]);
        Assert.Equal("get", effect.Attributes["db.operation.name"]);
        Assert.True(effect.EndNanos - effect.StartNanos >= 10_000_000, "the async span ends when the task completes");
    }
}
