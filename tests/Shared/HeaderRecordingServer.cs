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

/// <summary>An HTTP/1.1 server on 127.0.0.1 that answers 200 and keeps each request's headers (names lower-cased).</summary>
public sealed class HeaderRecordingServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Dictionary<string, string>> _requests = new();
    private readonly CancellationTokenSource _stop = new();

    public HeaderRecordingServer()
    {
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _ = Task.Run(AcceptAsync);
    }

    public string Url { get; }

    public IReadOnlyList<IReadOnlyDictionary<string, string>> Requests
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
            using (client)
            {
                NetworkStream stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                var headers = new Dictionary<string, string>();
                string? line = await reader.ReadLineAsync();
                while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
                {
                    int colon = line.IndexOf(':');
                    headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                }
                lock (_requests)
                {
                    _requests.Add(headers);
                }
                byte[] response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                await stream.WriteAsync(response);
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
