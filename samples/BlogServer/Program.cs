using System;
using BlogServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// dotnet run --project samples/BlogServer      (Ctrl+C stops it; spans are flushed on exit)
WebApplication app = BlogApp.Build(args);
await app.StartAsync();
string url = BlogApp.SelfUrl(app.Services.GetRequiredService<IServer>());
Console.WriteLine($"BlogServer listening on {url}");
Console.WriteLine($"  dashboard: {url}/otel    try: {url}/blogs/posts/1    metrics: {url}/metrics    Ctrl+C to stop");
await app.WaitForShutdownAsync();
await app.DisposeAsync();
Console.WriteLine("BlogServer stopped.");
