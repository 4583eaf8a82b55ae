using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>The dashboard in real headless Chromium: it updates from the event stream without a reload.</summary>
public sealed class BrowserTests
{
    [Fact]
    public async Task Dashboard_shows_a_new_trace_row_and_waterfall_without_reload()
    {
        string? chromium = HeadlessChromium.FindExecutable();
        if (chromium is null)
        {
            string where = Environment.GetEnvironmentVariable("CI") == "true" ? "CI must install Chromium (.ci/run does; .ci/chromium.sh installs it alone)" : "Chromium is not installed";
            Assert.Fail($"{where}: this test drives real headless Chromium; {HeadlessChromium.InstallHint}");
        }

        await using RunningApp blog = await RunningApp.StartBlogAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, blog.BaseUrl + "/otel", cancel.Token);

        await browser.WaitUntilAsync("document.readyState === 'complete' && document.getElementById('live') !== null && document.getElementById('live').textContent === 'live'", "the dashboard page to load and its event stream to connect", cancel.Token);
        // A marker that a reload would wipe out.
        await browser.EvaluateAsync("window.__otelgenNoReload = 'still here'", cancel.Token);

        // Another client makes a request. (No check that its row is absent right after the response: the
        // event stream may already have delivered it. The marker above proves the page was not reloaded.)
        TraceId traceId = Spans.NewTraceId();
        string hex = traceId.ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/21");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        using HttpResponseMessage response = await blog.Client.SendAsync(request, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await browser.WaitUntilAsync(
            "(() => { const tr = document.querySelector('#traces tr[data-trace=\"" + hex + "\"]');" +
            " return !!tr && tr.cells[1].textContent === 'GET /blogs/posts/{id:int}' && document.getElementById('waterfall').dataset.trace === '" + hex + "' && document.querySelectorAll('#waterfall svg rect.span').length === 9; })()",
            "a row for trace " + hex + " and its 9-span waterfall", cancel.Token);
        Assert.Equal("still here", await browser.EvaluateAsync("window.__otelgenNoReload", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync("[...document.querySelectorAll('#waterfall svg text')].some(t => t.textContent === 'step.render')", cancel.Token));

        byte[] png = await browser.ScreenshotAsync(cancel.Token);
        Assert.True(png.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        string artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        string path = Path.Combine(artifacts, "dashboard.png");
        await File.WriteAllBytesAsync(path, png, cancel.Token);
        Assert.True(File.Exists(path));
    }
}
