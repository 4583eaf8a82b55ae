using System;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtelGen;
using OtelGen.AspNetCore;
using OtelGen.Spans;

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

    /// <summary>Builds the app (not started). Tests pass <c>--urls http://127.0.0.1:0</c>.</summary>
    public static WebApplication Build(string[] args, Action<OtelGenAspNetCoreOptions>? configure = null)
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

        WebApplication app = builder.Build();
        int dbDelayMs = ReadInt("BLOG_DB_DELAY_MS", 2);

        app.MapGet("/", () => Results.Text(
            "BlogServer (OtelGen sample)\n  GET /blogs/posts/{id}   a post (1..100), 404 otherwise\n  GET /blogs/fail         fails with 500\n  GET /otel               live dashboard\n  GET /metrics            Prometheus\n"));

        app.MapGet("/blogs/posts/{id:int}", async (int id, BlogStore store, EffectQueue effects, IHttpClientFactory clients, IServer server, HttpContext context) =>
        {
            BlogPost? post;
            Comment[] comments;
            using (AsyncSpanScope step = Tracer.StartAsyncSpan("step.load_post"))
            {
                post = await effects.RunAsync("db.get blog_post", SpanKind.Client, async span =>
                {
                    span.SetAttribute("db.operation.name", "get").SetAttribute("db.collection.name", "blog_post").SetAttribute("db.system.name", "other_sql");
                    if (dbDelayMs > 0)
                    {
                        await Task.Delay(dbDelayMs);
                    }
                    return store.GetPost(id);
                });
                if (post is null)
                {
                    step.SetAttribute("blog.post.found", false);
                    return Results.NotFound();
                }
                comments = await effects.RunAsync("http.get comments", SpanKind.Client, async span =>
                {
                    HttpClient client = clients.CreateClient("comments");
                    return await client.GetFromJsonAsync<Comment[]>(SelfUrl(server) + "/stub/comments/" + id, context.RequestAborted) ?? Array.Empty<Comment>();
                });
            }
            Author? author;
            using (Tracer.StartAsyncSpan("step.load_author"))
            {
                author = await effects.RunAsync("cache.get author", SpanKind.Internal, span =>
                {
                    span.SetAttribute("cache.key", "author:" + post.AuthorId);
                    return Task.FromResult(store.GetAuthor(post.AuthorId));
                });
            }
            string html;
            using (SpanScope render = Tracer.StartSpan("step.render"))
            {
                html = Render(post, author, comments);
                render.SetAttribute("blog.html.length", html.Length);
            }
            return Results.Content(html, "text/html; charset=utf-8");
        });

        app.MapGet("/stub/comments/{id:int}", (int id) => Results.Json(BlogStore.CommentsFor(id)));

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

    private static string Render(BlogPost post, Author? author, Comment[] comments)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><meta charset=\"utf-8\"><title>").Append(Escape(post.Title)).Append("</title>");
        html.Append("<h1>").Append(Escape(post.Title)).Append("</h1><p><i>by ").Append(Escape(author?.Name ?? "unknown")).Append("</i></p>");
        html.Append("<p>").Append(Escape(post.Body)).Append("</p><h2>Comments</h2><ul>");
        foreach (Comment c in comments)
        {
            html.Append("<li><b>").Append(Escape(c.Who)).Append("</b>: ").Append(Escape(c.Text)).Append("</li>");
        }
        return html.Append("</ul>").ToString();
    }

    private static string Escape(string text) => System.Net.WebUtility.HtmlEncode(text);

    private static int ReadInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) && value >= 0 ? value : fallback;
}
