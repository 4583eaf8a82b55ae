using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using BlogServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OtelGen.Benchmarks.AspNetCore;

namespace OtelGen.ServerComparison;

/// <summary>
/// BlogServer's routes traced by OpenTelemetry .NET instead of OtelGen, span for span: a SERVER span per request
/// (ASP.NET Core instrumentation), a CLIENT span per HttpClient call (HttpClient instrumentation), and for the
/// steps, effects and nested levels the Activities of <see cref="ActivityBlogService.Source"/> that OtelGen's
/// generated code and jobs record as its own spans. OtelGen is not in this app at all (no middleware, no
/// generated code). tests/ServerComparison.Tests proves the two trees match.
/// </summary>
public static class ComparisonApp
{
    /// <summary>
    /// Builds the app (not started), exporting through a batch processor to <paramref name="exporter"/>.
    /// <c>OTEL_SDK_DISABLED=true</c> leaves OpenTelemetry out altogether.
    /// </summary>
    public static WebApplication Build(string[] args, BaseExporter<Activity> exporter)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(BlogApp.DefaultUrl);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        bool disabled = string.Equals(Environment.GetEnvironmentVariable("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase);
        if (!disabled)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
                .SetSampler(new SwitchedSampler())
                .AddSource(ActivityBlogService.Source.Name)
                // OtelGen's SERVER span also carries client.address (recommended by the HTTP conventions, not
                // recorded by this instrumentation by default): the same attributes on both sides.
                .AddAspNetCoreInstrumentation(options => options.EnrichWithHttpRequest = static (activity, request) =>
                    activity.SetTag("client.address", request.HttpContext.Connection.RemoteIpAddress?.ToString()))
                .AddHttpClientInstrumentation()
                .AddProcessor(new BatchActivityExportProcessor(exporter)));
        }
        builder.Services.AddSingleton<BlogStore>();
        builder.Services.AddSingleton(_ => new ActivityEffectQueue(ReadInt("BLOG_EFFECT_WORKERS", 4), ReadInt("BLOG_EFFECT_QUEUE", 64)));
        builder.Services.AddHttpClient("comments");
        builder.Services.AddSingleton(services =>
        {
            IServer server = services.GetRequiredService<IServer>();
            return new ActivityBlogService(services.GetRequiredService<BlogStore>(), services.GetRequiredService<ActivityEffectQueue>(),
                services.GetRequiredService<System.Net.Http.IHttpClientFactory>(), () => BlogApp.SelfUrl(server), ReadInt("BLOG_DB_DELAY_MS", 2));
        });

        WebApplication app = builder.Build();
        app.MapGet("/blogs/posts/{id:int}", async (int id, ActivityBlogService blog, HttpContext context) =>
        {
            (BlogPost Post, Comment[] Comments)? loaded = await blog.LoadPostAsync(id, context.RequestAborted);
            if (loaded is not { } found)
            {
                return Results.NotFound();
            }
            Author? author = await blog.LoadAuthorAsync(found.Post);
            return Results.Content(blog.Render(found.Post, author, found.Comments), "text/html; charset=utf-8");
        });
        app.MapGet("/stub/comments/{id:int}", (int id) => Results.Json(BlogStore.CommentsFor(id), ComparisonJson.Default.CommentArray));
        app.MapGet("/bench/nested/{n:int}", async (int n) =>
            n is < 1 or > NestedSpans.MaxDepth ? Results.BadRequest($"n is 1..{NestedSpans.MaxDepth}") : Results.Text((await LevelAsync(n)).ToString(CultureInfo.InvariantCulture)));
        app.MapMeasuringEndpoints();
        // Sampling switched on and off in process (the measuring scripts' LOADCHECK_TOGGLE=/debug/opentelemetry).
        app.MapPost("/debug/opentelemetry/{state}", (string state) =>
        {
            if (state is not ("on" or "off"))
            {
                return Results.BadRequest("on or off");
            }
            SwitchedSampler.On = state == "on";
            return Results.Text(state);
        });
        return app;
    }

    /// <summary>MeasuredBlogServer's <c>NestedSpans.LevelAsync</c> as OpenTelemetry .NET users write it.</summary>
    public static async Task<int> LevelAsync(int depth)
    {
        using Activity? level = ActivityBlogService.Step("nested", "OtelGen.Benchmarks.AspNetCore.NestedSpans.LevelAsync");
        if (depth <= 1)
        {
            await Task.Yield();
            return 1;
        }
        return 1 + await LevelAsync(depth - 1);
    }

    private static int ReadInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) && value >= 0 ? value : fallback;
}

/// <summary>
/// Always on, or (switched off) drops every span. Off is OpenTelemetry installed but recording nothing: its
/// listeners still run (ASP.NET Core's and HttpClient's diagnostic callbacks), so on minus off is the cost of
/// recording, a little less than the cost of the whole SDK.
/// </summary>
public sealed class SwitchedSampler : Sampler
{
    /// <summary>Whether spans are sampled.</summary>
    public static volatile bool On = true;

    /// <inheritdoc/>
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(On ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
}

/// <summary>Takes each batch and drops it: the cost of recording and batching, without a network.</summary>
public sealed class DiscardingExporter : BaseExporter<Activity>
{
    private long _exported;

    /// <summary>How many spans it was given.</summary>
    public long Exported => Interlocked.Read(ref _exported);

    /// <inheritdoc/>
    public override ExportResult Export(in Batch<Activity> batch)
    {
        long count = 0;
        foreach (Activity activity in batch)
        {
            count++;
        }
        Interlocked.Add(ref _exported, count);
        return ExportResult.Success;
    }
}
