using System;
using System.Diagnostics;
using System.Threading;
using BlogServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OtelGen.Benchmarks.AspNetCore;

// BlogServer traced by OpenTelemetry .NET instead of OtelGen, for a side-by-side load check:
//   dotnet build -c Release tests/ServerComparison
//   SERVER=tests/ServerComparison/bin/Release/net10.0/ServerComparison LOADCHECK_TOGGLE=/debug/opentelemetry \
//     LOADCHECK_IN_PROCESS=true LOADCHECK_PIN=true tests/Benchmarks/aspnetcore/load-check.sh 6 8 32
// OpenTelemetry makes a SERVER span per request (ASP.NET Core instrumentation) and a CLIENT span per
// HttpClient call, sampled always on (switchable, see SwitchedSampler), through a batch processor to an
// exporter that discards the batches (OtelGen's check exports nothing either: its spans stay in the ring).
// OtelGen is switched off, so its middleware and generated spans pass through. OTEL_SDK_DISABLED=true
// leaves OpenTelemetry out altogether, as it does OtelGen.
bool disabled = string.Equals(Environment.GetEnvironmentVariable("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase);
var exporter = new DiscardingExporter();
WebApplication app = BlogApp.Build(args, configureBuilder: builder =>
{
    if (!disabled)
    {
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            .SetSampler(new SwitchedSampler())
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddProcessor(new BatchActivityExportProcessor(exporter)));
    }
});
OtelGen.Tracing.Disable();
app.MapMeasuringEndpoints();
// For load-check.sh's in-process mode (LOADCHECK_TOGGLE=/debug/opentelemetry): sampling switched on and off.
app.MapPost("/debug/opentelemetry/{state}", (string state) =>
{
    if (state is not ("on" or "off"))
    {
        return Results.BadRequest("on or off");
    }
    SwitchedSampler.On = state == "on";
    return Results.Text(state);
});
// How many spans OpenTelemetry has exported so far: shows that it records.
app.MapGet("/debug/opentelemetry/exported", () => Interlocked.Read(ref exporter.Exported).ToString(System.Globalization.CultureInfo.InvariantCulture));
await app.StartAsync();
Console.WriteLine($"BlogServer (traced by {(disabled ? "nothing" : "OpenTelemetry .NET")}) listening on {BlogApp.SelfUrl(app.Services.GetRequiredService<IServer>())}");
await app.WaitForShutdownAsync();
await app.DisposeAsync();

/// <summary>
/// Always on, or (switched off) drops every span. Off is OpenTelemetry installed but recording nothing: its
/// listeners still run (ASP.NET Core's and HttpClient's diagnostic callbacks), so on minus off is the cost of
/// recording, a little less than the cost of the whole SDK.
/// </summary>
internal sealed class SwitchedSampler : Sampler
{
    public static volatile bool On = true;

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(On ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
}

/// <summary>Takes each batch and drops it: the cost of recording and batching, without a network.</summary>
internal sealed class DiscardingExporter : BaseExporter<Activity>
{
    public long Exported;

    public override ExportResult Export(in Batch<Activity> batch)
    {
        long count = 0;
        foreach (Activity activity in batch)
        {
            count++;
        }
        Interlocked.Add(ref Exported, count);
        return ExportResult.Success;
    }
}
