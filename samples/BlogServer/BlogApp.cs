using System;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtelGen.AspNetCore;

namespace BlogServer;

/// <summary>
/// The BlogServer application: <c>GET /blogs/posts/{id}</c> runs three steps (load post, load author,
/// render) whose effects (<c>db.get blog_post</c>, <c>http.get comments</c>, <c>cache.get author</c>) go
/// through a bounded effect queue; a comments stub on the same server answers the HTTP effect.
/// </summary>
public static class BlogApp
{
    /// <summary>The address used when none is configured (ASPNETCORE_URLS or --urls).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Builds the app (not started). Tests pass <c>--urls http://127.0.0.1:0</c>; <paramref name="configureBuilder"/>
    /// adds services before the app is built (tests/ServerComparison adds OpenTelemetry .NET's instrumentation).
    /// </summary>
    public static WebApplication Build(string[] args, Action<OtelGenAspNetCoreOptions>? configure = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        // Per-request log lines would dominate the cost of a small request; the dashboard shows requests.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddOtelGen(configure);
        builder.Services.AddSingleton<BlogStore>();
        int workers = ReadInt("BLOG_EFFECT_WORKERS", 4);
        int capacity = ReadInt("BLOG_EFFECT_QUEUE", 64);
        builder.Services.AddSingleton(_ => new EffectQueue(workers, capacity));
        builder.Services.AddHttpClient("comments");
        builder.Services.AddSingleton<BlogService>();
        configureBuilder?.Invoke(builder);

        WebApplication app = builder.Build();

        app.MapGet("/", () => Results.Text(
            "BlogServer (OtelGen sample)\n  GET /blogs/posts/{id}   a post (1..100), 404 otherwise\n  GET /blogs/fail         fails with 500\n  GET /otel               live dashboard\n  GET /metrics            Prometheus\n"));

        app.MapGet("/blogs/posts/{id:int}", async (int id, BlogService blog, HttpContext context) =>
        {
            (BlogPost Post, Comment[] Comments)? loaded = await blog.LoadPostAsync(id, context.RequestAborted);
            if (loaded is not { } found)
            {
                return Results.NotFound();
            }
            Author? author = await blog.LoadAuthorAsync(found.Post);
            return Results.Content(blog.Render(found.Post, author, found.Comments), "text/html; charset=utf-8");
        });

        app.MapGet("/stub/comments/{id:int}", (int id) => Results.Json(BlogStore.CommentsFor(id), BlogJson.Default.CommentArray));

        app.MapGet("/blogs/fail", IResult () => throw new InvalidOperationException("The blog database is on fire (this route always fails)."));

        app.MapOtelGenDashboard();
        app.MapTraceContextTestEndpoint();
        return app;
    }

    /// <summary>The first address the server listens on, with a wildcard host made loopback.</summary>
    public static string SelfUrl(IServer server)
    {
        string address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? DefaultUrl;
        return address.Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").TrimEnd('/');
    }

    internal static int ReadInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) && value >= 0 ? value : fallback;
}
