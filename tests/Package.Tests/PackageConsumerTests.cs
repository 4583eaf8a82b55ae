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
/// The real user path: pack the repository, build a small program against the package from a local
/// folder feed, run it with OTLP export pointed at a real HTTP listener on 127.0.0.1, and check the
/// span tree the listener received.
/// </summary>
public class PackageConsumerTests
{
    private readonly ITestOutputHelper _output;

    public PackageConsumerTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("http/json")]
    [InlineData("http/protobuf")]
    public async Task A_program_built_against_the_package_exports_its_span_tree(string protocol)
    {
        string work = Path.Combine(Path.GetTempPath(), "otelgen-consumer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            string feed = Path.Combine(work, "feed");
            string version = "0.0.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
            Run("dotnet", $"pack \"{Path.Combine(RepoRoot(), "src", "Runtime", "OtelGen.Runtime.csproj")}\" -c Release -o \"{feed}\" -p:Version={version}", RepoRoot());
            Assert.True(File.Exists(Path.Combine(feed, $"OtelGen.{version}.nupkg")), "the package was not produced");

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Consumer")))
            {
                File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
            }
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            // A private package folder, so the freshly packed version is what restores.
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") };
            Run("dotnet", $"build -c Release -p:OtelGenVersion={version}", app, env);

            using var collector = new OtlpListener();
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint;
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
            env["OTEL_SERVICE_NAME"] = "consumer-test";
            string stdout = Run("dotnet", $"run -c Release --no-build -p:OtelGenVersion={version}", app, env);
            Assert.Contains("total=9", stdout);

            List<ReceivedSpan> spans = collector.Spans;
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
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private string Run(string file, string arguments, string directory, Dictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (env is not null)
        {
            foreach (var (key, value) in env)
            {
                info.Environment[key] = value;
            }
        }
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish in 5 minutes");
        }
        string output = stdout.Result + stderr.Result;
        _output.WriteLine($"$ {file} {arguments}\n{output}");
        Assert.True(process.ExitCode == 0, $"{file} {arguments} failed ({process.ExitCode}):\n{output}");
        return stdout.Result;
    }

    private static string RepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "OtelGen.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir ?? throw new InvalidOperationException("OtelGen.slnx not found above " + AppContext.BaseDirectory);
    }
}
