using System;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting.Server;
using OtelGen;

namespace BlogServer;

/// <summary>
/// What <c>GET /blogs/posts/{id}</c> does, as steps and effects. The OtelGen generator turns each
/// <c>[Traced]</c> step into a span at build time; the effects go through the bounded
/// <see cref="EffectQueue"/> as OtelGen jobs (their spans carry the queue's lifecycle, and promoted
/// <c>job.queue_wait</c>/<c>job.park</c> spans when waiting gets long).
/// </summary>
public sealed class BlogService
{
    private readonly BlogStore _store;
    private readonly EffectQueue _effects;
    private readonly IHttpClientFactory _clients;
    private readonly IServer _server;
    private readonly int _dbDelayMs;

    /// <summary>Makes the service.</summary>
    public BlogService(BlogStore store, EffectQueue effects, IHttpClientFactory clients, IServer server)
    {
        _store = store;
        _effects = effects;
        _clients = clients;
        _server = server;
        _dbDelayMs = BlogApp.ReadInt("BLOG_DB_DELAY_MS", 2);
    }

    /// <summary>Step 1: the post and its comments (null when there is no such post).</summary>
    [Traced("step.load_post")]
    public async Task<(BlogPost Post, Comment[] Comments)?> LoadPostAsync(int id, CancellationToken cancel)
    {
        BlogPost? post = await GetPostAsync(id);
        if (post is null)
        {
            return null;
        }
        Comment[] comments = await GetCommentsAsync(id, cancel);
        return (post, comments);
    }

    /// <summary>Step 2: the author, from the cache.</summary>
    [Traced("step.load_author")]
    public Task<Author?> LoadAuthorAsync(BlogPost post) => GetAuthorAsync(post.AuthorId);

    /// <summary>Step 3: the page.</summary>
    [Traced("step.render")]
    public string Render(BlogPost post, Author? author, Comment[] comments) => RenderPage(post, author, comments);

    /// <summary>The page's HTML (tests/ServerComparison renders the same page under its own span).</summary>
    public static string RenderPage(BlogPost post, Author? author, Comment[] comments)
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

    /// <summary>The post row (in memory; the delay stands in for a database round trip). An effect on the queue.</summary>
    public Task<BlogPost?> GetPostAsync(int id) => _effects.RunAsync("db.get", "blog_post", async () =>
    {
        if (_dbDelayMs > 0)
        {
            await Task.Delay(_dbDelayMs);
        }
        return _store.GetPost(id);
    }, item => item.Job.SetAttribute("app.post.id", id));

    /// <summary>The comments, over HTTP from the stub this server also serves. An effect on the queue.</summary>
    public Task<Comment[]> GetCommentsAsync(int postId, CancellationToken cancel) => _effects.RunAsync("http.get", "comments", async () =>
    {
        HttpClient client = _clients.CreateClient("comments");
        return await client.GetFromJsonAsync(BlogApp.SelfUrl(_server) + "/stub/comments/" + postId, BlogJson.Default.CommentArray, cancel) ?? Array.Empty<Comment>();
    });

    /// <summary>The author, from the cache. An effect on the queue.</summary>
    public Task<Author?> GetAuthorAsync(int authorId) => _effects.RunAsync("cache.get", "author", () => Task.FromResult(_store.GetAuthor(authorId)),
        item => item.Job.SetAttribute("app.author.id", authorId));

    private static string Escape(string text) => System.Net.WebUtility.HtmlEncode(text);
}
