using System;
using BlogServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OtelGen.Benchmarks.AspNetCore;

// samples/BlogServer with the measuring endpoints and GET /bench/nested/{n}, for the scripts in tests/Benchmarks/aspnetcore:
//   dotnet build -c Release tests/Benchmarks/aspnetcore/MeasuredBlogServer
// The sample's own settings apply (BLOG_EFFECT_WORKERS, BLOG_DB_DELAY_MS, ASPNETCORE_URLS, OTEL_*).
WebApplication app = MeasuredApp.Build(args);
await app.StartAsync();
Console.WriteLine($"BlogServer (measured) listening on {BlogApp.SelfUrl(app.Services.GetRequiredService<IServer>())}");
await app.WaitForShutdownAsync();
await app.DisposeAsync();
