using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;
using OtelGen.TestSupport;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>The sample as a user runs it: its own process, one command, stopped by a signal.</summary>
public sealed class SampleProcessTests
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private const int SigTerm = 15;

    [Fact]
    public async Task BlogServer_prints_its_url_and_a_stop_signal_shuts_it_down_flushing_spans_over_OTLP()
    {
        using var collector = new OtlpListener();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BlogServer.dll"));
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint;
        start.Environment["OTEL_SERVICE_NAME"] = "blogserver-test";
        // Scheduled exports are far off: what reaches the collector is the flush at shutdown.
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "600000";
        using Process process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            const string marker = "BlogServer listening on ";
            if (e.Data.StartsWith(marker, StringComparison.Ordinal))
            {
                url.TrySetResult(e.Data.Substring(marker.Length).Trim());
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string baseUrl = await url.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("http://127.0.0.1:", baseUrl);

            TraceId traceId = Spans.NewTraceId();
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
            using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + "/blogs/posts/5");
            request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
            using HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            Assert.Equal(0, kill(process.Id, SigTerm));
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(exit.Token);
            string log;
            lock (output)
            {
                log = output.ToString();
            }
            Assert.True(process.ExitCode == 0, "exit code " + process.ExitCode + "\n" + log);
            Assert.Contains("BlogServer stopped.", log);

            string hex = traceId.ToHexString();
            var received = collector.Spans.Where(s => s.TraceId == hex).ToList();
            Assert.Contains(received, s => s.Name == "GET /blogs/posts/{id:int}" && s.Kind == 2 && s.ServiceName == "blogserver-test");
            Assert.Contains(received, s => s.Name == "db.get blog_post");
            Assert.Contains(received, s => s.Name == "step.render");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
