using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OtelGen.Tests.Shared;

/// <summary>One request's header lines as sent, repeated ones included (a request carrying two traceparent headers shows both).</summary>
public sealed class RecordedRequest(IReadOnlyList<KeyValuePair<string, string>> headers)
{
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = headers;

    /// <summary>Every value of header <paramref name="name"/> (case ignored).</summary>
    public List<string> Values(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();

    /// <summary>The one value of header <paramref name="name"/>; fails when it is missing or repeated.</summary>
    public string this[string name] => Values(name) switch
    {
        [string single] => single,
        [] => throw new KeyNotFoundException($"no '{name}' header in the request"),
        var many => throw new InvalidOperationException($"'{name}' sent {many.Count} times: {string.Join(" | ", many)}"),
    };
}

/// <summary>An HTTP/1.1 server on 127.0.0.1 that answers 200 to every request and keeps its header lines.</summary>
public sealed class HeaderRecordingServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<RecordedRequest> _requests = new();
    private readonly CancellationTokenSource _stop = new();

    public HeaderRecordingServer()
    {
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _ = Task.Run(AcceptAsync);
    }

    public string Url { get; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_requests) { return _requests.ToList(); } }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                var headers = new List<KeyValuePair<string, string>>();
                string? line = await reader.ReadLineAsync();
                while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
                {
                    int colon = line.IndexOf(':');
                    headers.Add(new KeyValuePair<string, string>(line[..colon].Trim(), line[(colon + 1)..].Trim()));
                }
                lock (_requests)
                {
                    _requests.Add(new RecordedRequest(headers));
                }
                byte[] response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                await stream.WriteAsync(response);
            }
            catch (IOException)
            {
                // The client went away: nothing to record.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
