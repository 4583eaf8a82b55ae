using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// Real headless Chromium driven over the DevTools protocol (a WebSocket to its
/// <c>--remote-debugging-port</c>): evaluate script in the page, take screenshots. No browser packages.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _userDataDir;
    private readonly ClientWebSocket _socket;
    private int _nextId;

    private HeadlessChromium(Process process, string userDataDir, ClientWebSocket socket)
    {
        _process = process;
        _userDataDir = userDataDir;
        _socket = socket;
    }

    public const string InstallHint = "install it with: sudo apt-get update && sudo apt-get install -y chromium   (or run .ci/chromium.sh)";

    /// <summary>The Chromium binary: <c>CHROMIUM_PATH</c>, else the usual Debian/Ubuntu paths; null when none.</summary>
    public static string? FindExecutable()
    {
        string? configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable" }.FirstOrDefault(File.Exists);
    }

    /// <summary>Starts Chromium on <paramref name="url"/> and connects to that page's DevTools socket.</summary>
    public static async Task<HeadlessChromium> LaunchAsync(string executable, string url, CancellationToken cancel)
    {
        string userDataDir = Path.Combine(Path.GetTempPath(), "otelgen-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(userDataDir);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
            "--user-data-dir=" + userDataDir, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            "--window-size=1280,1000", url,
        })
        {
            start.ArgumentList.Add(arg);
        }
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        Process process = new() { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("Chromium exited before DevTools listened:\n" + log));
                return;
            }
            lock (log)
            {
                log.AppendLine(e.Data);
            }
            const string marker = "DevTools listening on ";
            int at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(e.Data.Substring(at + marker.Length).Trim());
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            string browserSocket = await listening.Task.WaitAsync(cancel);
            var browserUri = new Uri(browserSocket);
            string pageSocket = await FindPageSocketAsync(browserUri.Port, cancel);
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(pageSocket), cancel);
            return new HeadlessChromium(process, userDataDir, socket);
        }
        catch
        {
            Kill(process);
            TryDelete(userDataDir);
            throw;
        }
    }

    private static async Task<string> FindPageSocketAsync(int port, CancellationToken cancel)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        while (true)
        {
            using JsonDocument targets = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", cancel));
            foreach (JsonElement target in targets.RootElement.EnumerateArray())
            {
                if (target.GetProperty("type").GetString() == "page" && target.TryGetProperty("webSocketDebuggerUrl", out JsonElement ws))
                {
                    return ws.GetString()!;
                }
            }
            await Task.Delay(100, cancel);
        }
    }

    /// <summary>Sends one DevTools command and returns its <c>result</c> (events in between are skipped).</summary>
    public async Task<JsonElement> SendAsync(string method, object parameters, CancellationToken cancel)
    {
        int id = Interlocked.Increment(ref _nextId);
        byte[] message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
        await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancel);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, cancel);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException("Chromium closed the DevTools socket.");
                }
                received.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            using JsonDocument reply = JsonDocument.Parse(received.ToArray());
            if (!reply.RootElement.TryGetProperty("id", out JsonElement replyId) || replyId.GetInt32() != id)
            {
                continue;
            }
            if (reply.RootElement.TryGetProperty("error", out JsonElement error))
            {
                throw new InvalidOperationException(method + " failed: " + error.GetRawText());
            }
            return reply.RootElement.GetProperty("result").Clone();
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value as a string ("" for undefined, null or a thrown error).</summary>
    public async Task<string> EvaluateAsync(string expression, CancellationToken cancel)
    {
        JsonElement result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true }, cancel);
        if (result.TryGetProperty("exceptionDetails", out _))
        {
            return "";
        }
        JsonElement remote = result.GetProperty("result");
        return remote.TryGetProperty("value", out JsonElement value) ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText() : "";
    }

    /// <summary>Polls <paramref name="expression"/> until it evaluates to <c>"true"</c>; fails with <paramref name="what"/> when <paramref name="cancel"/> fires first.</summary>
    public async Task WaitUntilAsync(string expression, string what, CancellationToken cancel)
    {
        while (true)
        {
            if (cancel.IsCancellationRequested)
            {
                Assert.Fail("Timed out waiting for: " + what);
            }
            try
            {
                if (await EvaluateAsync(expression, cancel) == "true")
                {
                    return;
                }
                await Task.Delay(100, cancel);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting for: " + what);
            }
            catch (InvalidOperationException) when (_socket.State == WebSocketState.Open)
            {
                // The page is navigating (its execution context went away): ask again.
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    /// <summary>Navigates the page to <paramref name="url"/> (then wait for what should be there).</summary>
    public Task NavigateAsync(string url, CancellationToken cancel) => SendAsync("Page.navigate", new { url }, cancel);

    /// <summary>
    /// A real mouse click (pressed and released through the input pipeline, as a person's) in the middle of
    /// the first element matching <paramref name="selector"/>, scrolled into view first.
    /// </summary>
    public async Task ClickAsync(string selector, CancellationToken cancel)
    {
        string json = await EvaluateAsync(
            "(() => { const e = document.querySelector(" + JsonSerializer.Serialize(selector) + "); if (!e) return ''; e.scrollIntoView({block: 'center'});" +
            " const r = e.getBoundingClientRect(); return JSON.stringify({x: r.left + r.width / 2, y: r.top + r.height / 2}); })()", cancel);
        Assert.False(string.IsNullOrEmpty(json), "nothing to click: " + selector);
        using JsonDocument point = JsonDocument.Parse(json);
        double x = point.RootElement.GetProperty("x").GetDouble(), y = point.RootElement.GetProperty("y").GetDouble();
        await SendAsync("Input.dispatchMouseEvent", new { type = "mousePressed", x, y, button = "left", clickCount = 1 }, cancel);
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseReleased", x, y, button = "left", clickCount = 1 }, cancel);
    }

    /// <summary>Presses and releases a key (for example <c>Enter</c>) on whatever has the focus.</summary>
    public async Task PressAsync(string key, int keyCode, CancellationToken cancel)
    {
        await SendAsync("Input.dispatchKeyEvent", new { type = "rawKeyDown", key, code = key, windowsVirtualKeyCode = keyCode }, cancel);
        await SendAsync("Input.dispatchKeyEvent", new { type = "keyUp", key, code = key, windowsVirtualKeyCode = keyCode }, cancel);
    }

    /// <summary>
    /// Makes the page's viewport <paramref name="width"/> × <paramref name="height"/> CSS pixels (a narrow window, as a
    /// phone or a side-by-side window has), as DevTools' device toolbar does; the page lays itself out again.
    /// </summary>
    public Task SetViewportAsync(int width, int height, CancellationToken cancel) =>
        SendAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false }, cancel);

    /// <summary>
    /// Saves a PNG of the page as <c>artifacts/{name}.png</c> in the test output directory and returns its full path;
    /// <paramref name="fullPage"/>: the whole page, not only what the viewport shows.
    /// </summary>
    public async Task<string> SaveScreenshotAsync(string name, CancellationToken cancel, bool fullPage = false)
    {
        byte[] png = fullPage ? await FullPageScreenshotAsync(cancel) : await ScreenshotAsync(cancel);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        string artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        string path = Path.Combine(artifacts, name + ".png");
        await File.WriteAllBytesAsync(path, png, cancel);
        return path;
    }

    /// <summary>A PNG screenshot of the whole page (its full scroll height, at the viewport's width).</summary>
    public async Task<byte[]> FullPageScreenshotAsync(CancellationToken cancel)
    {
        JsonElement metrics = await SendAsync("Page.getLayoutMetrics", new { }, cancel);
        JsonElement content = metrics.GetProperty("cssContentSize");
        JsonElement viewport = metrics.GetProperty("cssLayoutViewport");
        double width = viewport.GetProperty("clientWidth").GetDouble();
        double height = Math.Ceiling(content.GetProperty("height").GetDouble());
        JsonElement result = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true, clip = new { x = 0, y = 0, width, height, scale = 1 } }, cancel);
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    /// <summary>A PNG screenshot of the page.</summary>
    public async Task<byte[]> ScreenshotAsync(CancellationToken cancel)
    {
        JsonElement result = await SendAsync("Page.captureScreenshot", new { format = "png" }, cancel);
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", quick.Token);
            }
        }
        catch
        {
        }
        _socket.Dispose();
        Kill(_process);
        TryDelete(_userDataDir);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch
        {
        }
        process.Dispose();
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch
        {
        }
    }
}
