using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// The dashboard in real headless Chromium: it updates from the event stream without a reload; a click on a span
/// opens its details; the filters and the find box work. Screenshots go to <c>artifacts/dashboard-*.png</c> in the
/// test output directory (each path is printed in the test output; <c>.ci/run</c> copies them to <c>artifacts/screenshots/</c>).
/// </summary>
public sealed class BrowserTests
{
    private readonly ITestOutputHelper _output;

    public BrowserTests(ITestOutputHelper output) => _output = output;

    private static string RequireChromium()
    {
        string? chromium = HeadlessChromium.FindExecutable();
        if (chromium is null)
        {
            string where = Environment.GetEnvironmentVariable("CI") == "true" ? "CI must install Chromium (.ci/run does; .ci/chromium.sh installs it alone)" : "Chromium is not installed";
            Assert.Fail($"{where}: this test drives real headless Chromium; {HeadlessChromium.InstallHint}");
        }
        return chromium;
    }

    [Fact]
    public async Task Clicking_a_span_shows_its_attributes_events_exception_and_links()
    {
        string chromium = RequireChromium();
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string checkout = t.Checkout.ToHexString();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, app.BaseUrl + "/otel?trace=" + checkout, cancel.Token);

        await browser.WaitUntilAsync(
            "document.readyState === 'complete' && document.getElementById('waterfall').dataset.trace === '" + checkout + "' && document.querySelectorAll('#waterfall g.row[data-span][tabindex=\"0\"]').length === 2",
            "the found trace's waterfall with two focusable span rows", cancel.Token);
        Assert.Equal("true", await browser.EvaluateAsync("document.getElementById('details').hidden", cancel.Token));

        // A real click on the child span's bar.
        string childRow = "#waterfall g.row:has(text.err) rect.span";
        await browser.ClickAsync(childRow, cancel.Token);
        const string panel = "document.getElementById('details')";
        await browser.WaitUntilAsync(panel + ".hidden === false && " + panel + ".querySelector('h3') !== null && " + panel + ".querySelector('h3').textContent === " + JsonSerializer.Serialize(DebugApp.ChildName),
            "the details panel for the clicked span", cancel.Token);

        // Values shown as text, exactly: the hostile attribute, an event's attribute, the status message, the stack trace.
        string cellAfter = "(k => { const c = [...document.querySelectorAll('#details td')].find(td => td.textContent === k); return c ? c.nextElementSibling.textContent : null; })";
        Assert.Equal(DebugApp.Hostile, await browser.EvaluateAsync(cellAfter + "('payment.note')", cancel.Token));
        Assert.Equal("3", await browser.EvaluateAsync(cellAfter + "('retry.count')", cancel.Token));
        Assert.Equal("[\"card\", \"<b>\"]", await browser.EvaluateAsync(cellAfter + "('payment.tags')", cancel.Token));
        Assert.Equal(DebugApp.CacheKey, await browser.EvaluateAsync(cellAfter + "('cache.key')", cancel.Token));
        Assert.Equal("retry of <previous>", await browser.EvaluateAsync(cellAfter + "('link.reason')", cancel.Token));
        Assert.Equal("ERROR: card declined: <insufficient funds>", await browser.EvaluateAsync("[...document.querySelectorAll('#details dt')].find(d => d.textContent === 'status').nextElementSibling.textContent", cancel.Token));
        string stack = await browser.EvaluateAsync("(() => { const p = document.querySelector('#details .event.exception pre.stack'); return p ? p.textContent : ''; })()", cancel.Token);
        Assert.Contains("InvalidOperationException: card 7 declined", stack);
        Assert.Contains("ThrowDeclined", stack);
        Assert.Contains("\n", stack);
        // Nothing from the data became markup.
        Assert.Equal("0", await browser.EvaluateAsync("document.querySelectorAll('#details script, #details b, #details img').length", cancel.Token));
        Assert.Equal("undefined", await browser.EvaluateAsync("typeof window.__injected", cancel.Token));
        // The link goes to the linked trace, which the dashboard keeps.
        Assert.EndsWith("/otel?trace=" + t.Fast.ToHexString(), await browser.EvaluateAsync("document.querySelector('#details .link a').href", cancel.Token));
        // Resource.
        Assert.Equal("otelgen", await browser.EvaluateAsync(cellAfter + "('telemetry.sdk.name')", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync("document.getElementById('logs').hidden", cancel.Token)); // nothing logged in this trace: the section stays hidden
        Report(await browser.SaveScreenshotAsync("dashboard-span-details", cancel.Token));

        // The keyboard: focus the SERVER span's row and press Enter.
        await browser.EvaluateAsync("document.querySelector('#waterfall g.row:not(:has(text.err))').focus()", cancel.Token);
        await browser.PressAsync("Enter", 13, cancel.Token);
        await browser.WaitUntilAsync(panel + ".querySelector('h3').textContent === 'GET /checkout/{id:int}'", "the details of the SERVER span opened with Enter", cancel.Token);
        Assert.Equal("SERVER", await browser.EvaluateAsync("[...document.querySelectorAll('#details dt')].find(d => d.textContent === 'kind').nextElementSibling.textContent", cancel.Token));
    }

    [Fact]
    public async Task Trace_list_filters_errors_only_and_finds_a_trace_by_id()
    {
        string chromium = RequireChromium();
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, app.BaseUrl + "/otel", cancel.Token);
        string has(TraceId id) => "!!document.querySelector('#traces tr[data-trace=\"" + id.ToHexString() + "\"]')";
        await browser.WaitUntilAsync("document.readyState === 'complete' && " + has(t.Fast) + " && " + has(t.Checkout) + " && " + has(t.Slow), "all three traces listed", cancel.Token);

        // Errors only, through the form as a person would: tick the box, press apply.
        await browser.ClickAsync("#filters input[name=errors]", cancel.Token);
        await browser.ClickAsync("#filters button[type=submit]", cancel.Token);
        await browser.WaitUntilAsync("location.search === '?errors=1' && document.readyState === 'complete' && " + has(t.Checkout), "the errors-only view", cancel.Token);
        Assert.Equal("false", await browser.EvaluateAsync(has(t.Fast), cancel.Token));
        Assert.Equal("false", await browser.EvaluateAsync(has(t.Slow), cancel.Token));
        // Every listed trace has an ERROR span (from the JSON of each listed trace).
        await browser.EvaluateAsync("window.__allErrors = null; Promise.all([...document.querySelectorAll('#traces tr')].map(r => fetch('/otel/api/traces/' + r.dataset.trace).then(x => x.json())))" +
            ".then(ts => { window.__allErrors = ts.every(t => t.spans.some(s => s.status.code === 'ERROR')); })", cancel.Token);
        await browser.WaitUntilAsync("window.__allErrors !== null", "the listed traces' details", cancel.Token);
        Assert.Equal("true", await browser.EvaluateAsync("window.__allErrors", cancel.Token));
        Report(await browser.SaveScreenshotAsync("dashboard-errors-only", cancel.Token));

        // Find by id: type it into the box and apply.
        await browser.NavigateAsync(app.BaseUrl + "/otel", cancel.Token);
        await browser.WaitUntilAsync("document.readyState === 'complete' && location.search === '' && " + has(t.Slow), "the unfiltered page again", cancel.Token);
        await browser.EvaluateAsync("document.querySelector('#filters input[name=trace]').value = '" + t.Fast.ToHexString() + "'", cancel.Token);
        await browser.ClickAsync("#filters button[type=submit]", cancel.Token);
        await browser.WaitUntilAsync("location.search === '?trace=" + t.Fast.ToHexString() + "' && document.getElementById('waterfall').dataset.trace === '" + t.Fast.ToHexString() + "'",
            "the found trace's waterfall", cancel.Token);
        Assert.Equal("true", await browser.EvaluateAsync("document.querySelector('#traces tr[data-trace=\"" + t.Fast.ToHexString() + "\"]').classList.contains('selected')", cancel.Token));

        // A trace the dashboard does not keep: a clear message.
        string gone = Spans.NewTraceId().ToHexString();
        await browser.NavigateAsync(app.BaseUrl + "/otel?trace=" + gone, cancel.Token);
        await browser.WaitUntilAsync("document.readyState === 'complete' && !!document.getElementById('notice')", "the not-found notice", cancel.Token);
        Assert.StartsWith("Trace " + gone + " is not in the dashboard", await browser.EvaluateAsync("document.getElementById('notice').textContent", cancel.Token));
        Report(await browser.SaveScreenshotAsync("dashboard-trace-not-found", cancel.Token));
    }

    [Fact]
    public async Task Trace_log_lines_show_under_the_waterfall_and_open_their_span()
    {
        string chromium = RequireChromium();
        await using RunningApp app = await LogApp.StartAsync();
        LogApp.Request pay = await LogApp.PayAsync(app);
        string hex = pay.TraceId.ToHexString();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, app.BaseUrl + "/otel?trace=" + hex, cancel.Token);

        // The row of a line, found by its message cell's text (values are inserted as text, so compare text).
        string row = "(b => [...document.querySelectorAll('#log-lines tr')].find(tr => tr.cells[2].textContent === b))";
        string hostile = JsonSerializer.Serialize("charging 7: " + LogApp.Hostile);
        await browser.WaitUntilAsync(
            "document.readyState === 'complete' && document.getElementById('waterfall').dataset.trace === '" + hex + "' && document.getElementById('logs').hidden === false && !!" + row + "(" + hostile + ")",
            "the trace's log section with its lines", cancel.Token);
        Assert.Equal("Warning", await browser.EvaluateAsync(row + "(" + hostile + ").cells[1].textContent", cancel.Token));
        Assert.Equal(pay.ChargeSpan.ToHexString(), await browser.EvaluateAsync(row + "(" + hostile + ").cells[3].textContent", cancel.Token));
        Assert.Equal(pay.ServerSpan.ToHexString(), await browser.EvaluateAsync(row + "(" + JsonSerializer.Serialize(LogApp.Outer) + ").cells[3].textContent", cancel.Token));
        Assert.Equal("0", await browser.EvaluateAsync("document.querySelectorAll('#logs script').length", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync("document.getElementById('details').hidden", cancel.Token));

        // A real click on the line's span link opens that span's details.
        await browser.EvaluateAsync(row + "(" + hostile + ").cells[3].querySelector('a').id = 'clicked-log-link'", cancel.Token);
        await browser.ClickAsync("#clicked-log-link", cancel.Token);
        const string panel = "document.getElementById('details')";
        await browser.WaitUntilAsync(panel + ".hidden === false && " + panel + ".querySelector('h3') !== null && " + panel + ".querySelector('h3').textContent === " + JsonSerializer.Serialize(LogApp.ChargeSpan),
            "the details panel of the line's span", cancel.Token);
        Report(await browser.SaveScreenshotAsync("dashboard-log-lines", cancel.Token));
    }

    [Fact]
    public async Task Trace_list_marks_a_trace_with_an_error_in_any_span_as_it_arrives_and_errors_only_keeps_it()
    {
        string chromium = RequireChromium();
        await using RunningApp app = await DebugApp.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, app.BaseUrl + "/otel", cancel.Token);
        await browser.WaitUntilAsync("document.readyState === 'complete' && document.getElementById('live').textContent === 'live'", "the page and its event stream", cancel.Token);
        await browser.EvaluateAsync("window.__noReload = 1", cancel.Token);

        // The requests come after the page: their rows arrive over the event stream.
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string row(TraceId id) => "document.querySelector('#traces tr[data-trace=\"" + id.ToHexString() + "\"]')";
        await browser.WaitUntilAsync("!!" + row(t.Fast) + " && !!" + row(t.Checkout) + " && !!" + row(t.Slow), "the three rows from the stream", cancel.Token);
        Assert.Equal("1", await browser.EvaluateAsync("window.__noReload", cancel.Token));

        // The checkout answered 200: its root is UNSET, but a span below it failed. Its row has the red bar and the badge.
        string checkout = row(t.Checkout);
        Assert.Equal("true", await browser.EvaluateAsync(checkout + ".classList.contains('has-error')", cancel.Token));
        Assert.Equal("1", await browser.EvaluateAsync(checkout + ".dataset.errorSpans", cancel.Token));
        Assert.Equal("UNSET", await browser.EvaluateAsync(checkout + ".cells[3].querySelector('span').textContent", cancel.Token));
        Assert.Equal("⚠ 1 span ERROR", await browser.EvaluateAsync(checkout + ".querySelector('.span-errors').textContent", cancel.Token));
        Assert.Equal("1 span below the root has status ERROR", await browser.EvaluateAsync(checkout + ".querySelector('.span-errors').title", cancel.Token));
        // Both marks are drawn: the badge has a size and the bar is the first cell's red inset shadow.
        Assert.Equal("true", await browser.EvaluateAsync("(() => { const r = " + checkout + ".querySelector('.span-errors').getBoundingClientRect(); return r.width > 20 && r.height > 8; })()", cancel.Token));
        Assert.Contains("rgb(201, 48, 44)", await browser.EvaluateAsync("getComputedStyle(" + checkout + ".cells[0]).boxShadow", cancel.Token));
        foreach (TraceId fine in new[] { t.Fast, t.Slow })
        {
            Assert.Equal("false", await browser.EvaluateAsync(row(fine) + ".classList.contains('has-error')", cancel.Token));
            Assert.Equal("0", await browser.EvaluateAsync(row(fine) + ".querySelectorAll('.span-errors').length", cancel.Token));
            Assert.Equal("none", await browser.EvaluateAsync("getComputedStyle(" + row(fine) + ".cells[0]).boxShadow", cancel.Token));
        }
        Report(await browser.SaveScreenshotAsync("dashboard-error-marker", cancel.Token));

        // Errors only keeps a trace with an ERROR span anywhere, and the page the server renders marks it the same way.
        await browser.ClickAsync("#filters input[name=errors]", cancel.Token);
        await browser.ClickAsync("#filters button[type=submit]", cancel.Token);
        await browser.WaitUntilAsync("location.search === '?errors=1' && document.readyState === 'complete' && !!" + checkout, "the errors-only view", cancel.Token);
        Assert.Equal("false", await browser.EvaluateAsync("!!" + row(t.Fast), cancel.Token));
        Assert.Equal("⚠ 1 span ERROR", await browser.EvaluateAsync(checkout + ".querySelector('.span-errors').textContent", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync("[...document.querySelectorAll('#traces tr')].every(r => r.classList.contains('has-error'))", cancel.Token));
    }

    /// <summary>
    /// True when the point of every span bar is the waterfall's (<c>elementFromPoint</c>, each bar scrolled into view,
    /// in the waterfall's own box if need be): nothing covers any span.
    /// </summary>
    private const string EverySpanBarIsSeen =
        "(() => { const w = document.getElementById('waterfall'); w.scrollIntoView({block: 'start'});" +
        " return [...w.querySelectorAll('g.row[data-span] rect.span')].every(r => { r.scrollIntoView({block: 'nearest', inline: 'nearest'});" +
        " const b = r.getBoundingClientRect(), v = w.getBoundingClientRect(); const x = Math.max(b.left, v.left) + 2, y = b.top + b.height / 2;" +
        " const hit = document.elementFromPoint(x, y); return !!hit && !!hit.closest('#waterfall'); }); })()";

    /// <summary>Sets a window <paramref name="width"/> px wide and waits for the checkout trace's waterfall, its two spans armed.</summary>
    private static async Task ShowCheckoutWaterfallAsync(HeadlessChromium browser, string checkout, int width, CancellationToken cancel)
    {
        await browser.SetViewportAsync(width, 900, cancel);
        await browser.WaitUntilAsync(
            "window.innerWidth === " + width + " && document.readyState === 'complete' && document.getElementById('waterfall').dataset.trace === '" + checkout
            + "' && document.querySelectorAll('#waterfall g.row[data-span][tabindex=\"0\"]').length === 2",
            "the found trace's waterfall in a " + width + " px window", cancel);
    }

    [Fact]
    public async Task In_a_wide_window_the_open_drawer_makes_room_instead_of_covering_the_waterfall()
    {
        string chromium = RequireChromium();
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string checkout = t.Checkout.ToHexString();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, app.BaseUrl + "/otel?trace=" + checkout, cancel.Token);
        await ShowCheckoutWaterfallAsync(browser, checkout, 1280, cancel.Token);
        await browser.ClickAsync("#waterfall g.row:has(text.err) rect.span", cancel.Token);
        const string panel = "document.getElementById('details')";
        await browser.WaitUntilAsync(panel + ".hidden === false && !!" + panel + ".querySelector('h3')", "the details of the clicked span", cancel.Token);

        // Still a drawer at the right edge, and the waterfall's box ends where it begins.
        Assert.Equal("fixed", await browser.EvaluateAsync("getComputedStyle(" + panel + ").position", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync(
            "(() => { const w = document.getElementById('waterfall').getBoundingClientRect(), d = " + panel + ".getBoundingClientRect(); return w.right <= d.left && d.width > 500; })()", cancel.Token));
        // Nothing of the page runs under the drawer: wide tables scroll in their own boxes too.
        Assert.Equal("true", await browser.EvaluateAsync(
            "(() => { const d = " + panel + ".getBoundingClientRect(); return [...document.querySelectorAll('body > *:not(#details), #waterfall, table')].every(e => e.id === 'details' || e.closest('#details') || e.getBoundingClientRect().right <= d.left); })()", cancel.Token));
        // Every span bar is what a person sees at its place (scrolled into the waterfall's own box if needed).
        Assert.Equal("true", await browser.EvaluateAsync(EverySpanBarIsSeen, cancel.Token));
        await browser.EvaluateAsync("document.getElementById('waterfall').scrollLeft = 0; window.scrollTo(0, 0)", cancel.Token);
        Report(await browser.SaveScreenshotAsync("dashboard-wide-details", cancel.Token));

        // Closed, the page takes the whole width again.
        await browser.PressAsync("Escape", 27, cancel.Token);
        await browser.WaitUntilAsync(panel + ".hidden === true", "the panel closed with Escape", cancel.Token);
        Assert.Equal("true", await browser.EvaluateAsync("(() => { const b = getComputedStyle(document.body); return b.marginRight === b.marginLeft; })()", cancel.Token));
    }

    [Fact]
    public async Task In_a_narrow_window_the_span_details_stack_under_the_waterfall_instead_of_covering_it()
    {
        string chromium = RequireChromium();
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string checkout = t.Checkout.ToHexString();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, app.BaseUrl + "/otel?trace=" + checkout, cancel.Token);
        await ShowCheckoutWaterfallAsync(browser, checkout, 600, cancel.Token);

        // A real click on the failing span's bar.
        string bar = "#waterfall g.row:has(text.err) rect.span";
        await browser.ClickAsync(bar, cancel.Token);
        const string panel = "document.getElementById('details')";
        await browser.WaitUntilAsync(panel + ".hidden === false && !!" + panel + ".querySelector('h3') && " + panel + ".querySelector('h3').textContent === " + JsonSerializer.Serialize(DebugApp.ChildName),
            "the details of the clicked span", cancel.Token);

        // The panel is in the page's flow, right under the waterfall: never over it.
        Assert.Equal("static", await browser.EvaluateAsync("getComputedStyle(" + panel + ").position", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync(
            "(() => { const w = document.getElementById('waterfall').getBoundingClientRect(), d = " + panel + ".getBoundingClientRect(); return d.top >= w.bottom && d.width > 500 && d.right <= document.documentElement.clientWidth; })()", cancel.Token));
        // The page does not scroll sideways; the waterfall scrolls in its own box.
        Assert.Equal("true", await browser.EvaluateAsync("document.documentElement.scrollWidth <= window.innerWidth", cancel.Token));
        Assert.Equal("true", await browser.EvaluateAsync("(() => { const w = document.getElementById('waterfall'); return w.scrollWidth > w.clientWidth; })()", cancel.Token));
        // Every span row of the waterfall is what a person sees at its place, with the panel open: nothing covers it.
        Assert.Equal("true", await browser.EvaluateAsync(EverySpanBarIsSeen, cancel.Token));
        // Its content is the span's: the hostile attribute as text.
        Assert.Equal(DebugApp.Hostile, await browser.EvaluateAsync("(() => { const c = [...document.querySelectorAll('#details td')].find(td => td.textContent === 'payment.note'); return c ? c.nextElementSibling.textContent : null; })()", cancel.Token));
        // The whole page, the waterfall scrolled back to its names.
        await browser.EvaluateAsync("document.getElementById('waterfall').scrollLeft = 0; window.scrollTo(0, 0)", cancel.Token);
        Report(await browser.SaveScreenshotAsync("dashboard-narrow-details", cancel.Token, fullPage: true));

        // Escape closes it; the waterfall stays where it was.
        await browser.PressAsync("Escape", 27, cancel.Token);
        await browser.WaitUntilAsync(panel + ".hidden === true", "the panel closed with Escape", cancel.Token);

        // Wide again: the panel is the drawer on the right.
        await browser.SetViewportAsync(1280, 1000, cancel.Token);
        await browser.ClickAsync(bar, cancel.Token);
        await browser.WaitUntilAsync(panel + ".hidden === false && window.innerWidth === 1280", "the details in a wide window", cancel.Token);
        Assert.Equal("fixed", await browser.EvaluateAsync("getComputedStyle(" + panel + ").position", cancel.Token));
    }

    [Fact]
    public async Task Span_details_show_the_resource_attributes_given_to_the_exporter_in_code()
    {
        string chromium = RequireChromium();
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string checkout = t.Checkout.ToHexString();
        using var exporter = new DebugApp.ExporterFromCode();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(chromium, app.BaseUrl + "/otel?trace=" + checkout, cancel.Token);
        await browser.WaitUntilAsync("document.readyState === 'complete' && document.querySelectorAll('#waterfall g.row[data-span][tabindex=\"0\"]').length === 2", "the waterfall", cancel.Token);

        await browser.ClickAsync("#waterfall g.row:has(text.err) rect.span", cancel.Token);
        const string panel = "document.getElementById('details')";
        await browser.WaitUntilAsync(panel + ".hidden === false && [...document.querySelectorAll('#details h4')].some(h => h.textContent === 'Resource')", "the details panel with its resource", cancel.Token);

        // The resource section: the table after the "Resource" heading.
        string resource = "(k => { const h = [...document.querySelectorAll('#details h4')].find(x => x.textContent === 'Resource'); const c = [...h.nextElementSibling.querySelectorAll('td')].find(td => td.textContent === k); return c ? c.nextElementSibling.textContent : null; })";
        Assert.Equal(DebugApp.ResourceValue, await browser.EvaluateAsync(resource + "(" + JsonSerializer.Serialize(DebugApp.ResourceKey) + ")", cancel.Token));
        Assert.Equal("shop", await browser.EvaluateAsync(resource + "('service.namespace')", cancel.Token));
        Assert.Equal(DebugApp.CodeServiceName, await browser.EvaluateAsync(resource + "('service.name')", cancel.Token));
        Assert.Equal("otelgen", await browser.EvaluateAsync(resource + "('telemetry.sdk.name')", cancel.Token));
        Assert.Equal("0", await browser.EvaluateAsync("document.querySelectorAll('#details staging, #details script, #details b').length", cancel.Token));
        await browser.EvaluateAsync("(() => { const h = [...document.querySelectorAll('#details h4')].find(x => x.textContent === 'Resource'); h.scrollIntoView({block: 'start'}); })()", cancel.Token);
        Report(await browser.SaveScreenshotAsync("dashboard-resource-from-code", cancel.Token));
    }

    private void Report(string path)
    {
        Assert.True(new FileInfo(path).Length > 1000, path);
        _output.WriteLine("screenshot: " + path);
    }

    [Fact]
    public async Task Dashboard_shows_a_new_trace_row_and_waterfall_without_reload()
    {
        string chromium = RequireChromium();

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
        _output.WriteLine("screenshot: " + path);
    }
}
