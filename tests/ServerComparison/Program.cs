using System;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OtelGen.ServerComparison;

// BlogServer's routes traced by OpenTelemetry .NET, span for span as OtelGen traces them (ComparisonApp), for the
// side-by-side check tests/Benchmarks/aspnetcore/compare-check.sh:
//   dotnet build -c Release tests/ServerComparison
var exporter = new DiscardingExporter();
WebApplication app = ComparisonApp.Build(args, exporter);
// How many spans OpenTelemetry has exported so far: shows that it records.
app.MapGet("/debug/opentelemetry/exported", () => exporter.Exported.ToString(System.Globalization.CultureInfo.InvariantCulture));
await app.StartAsync();
Console.WriteLine($"BlogServer (traced by OpenTelemetry .NET) listening on {BlogServer.BlogApp.SelfUrl(app.Services.GetRequiredService<IServer>())}");
await app.WaitForShutdownAsync();
await app.DisposeAsync();
