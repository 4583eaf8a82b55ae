using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using OtelGen;

// How long one trace batch holds the exporter's thread when the collector accepts the connection and never
// answers: what a metrics export would wait behind it if both signals shared one worker thread.
// Run: dotnet run -c Release --project tools/ExportHoldCheck   (OTEL_EXPORTER_OTLP_TIMEOUT changes the limit)
var listener = new TcpListener(IPAddress.Loopback, 0);
listener.Start();
var held = new List<Socket>();
var accepting = new Thread(() =>
{
    try
    {
        while (true)
        {
            Socket socket = listener.AcceptSocket();
            lock (held)
            {
                held.Add(socket);
            }
        }
    }
    catch (SocketException)
    {
        // The listener stopped.
    }
})
{ IsBackground = true };
accepting.Start();

int port = ((IPEndPoint)listener.LocalEndpoint).Port;
Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + port);
using (Tracing.StartSpan("export-hold-check"))
{
}
var watch = Stopwatch.StartNew();
bool flushed = Tracing.Flush(TimeSpan.FromSeconds(120));
watch.Stop();
int connections;
lock (held)
{
    connections = held.Count;
}
Console.WriteLine($"one batch held the trace exporter's thread {watch.Elapsed.TotalSeconds:0.00} s (flush returned {flushed}; connections: {connections})");
listener.Stop();
