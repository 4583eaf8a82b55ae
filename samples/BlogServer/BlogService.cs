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
/// <c>[Traced]</c> step and <c>[Effect]</c> call into a span at build time; the effects run on the
/// bounded <see cref="EffectQueue"/>.
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
    public string Render(BlogPost post, Author? author, Comment[] comments)
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

    /// <summary>The post row (in memory; the delay stands in for a database round trip).</summary>
    [Effect("db.get", Target = "blog_post")]
    public Task<BlogPost?> GetPostAsync([Tag("app.post.id")] int id) => _effects.RunAsync(async () =>
    {
        if (_dbDelayMs > 0)
        {
            await Task.Delay(_dbDelayMs);
        }
        return _store.GetPost(id);
    });

    /// <summary>The comments, over HTTP from the stub this server also serves.</summary>
    [Effect("http.get", Target = "comments")]
    public Task<Comment[]> GetCommentsAsync(int postId, CancellationToken cancel) => _effects.RunAsync(async () =>
    {
        HttpClient client = _clients.CreateClient("comments");
        return await client.GetFromJsonAsync<Comment[]>(BlogApp.SelfUrl(_server) + "/stub/comments/" + postId, cancel) ?? Array.Empty<Comment>();
    });

    /// <summary>The author, from the cache.</summary>
    [Effect("cache.get", Target = "author")]
    public Task<Author?> GetAuthorAsync([Tag("app.author.id")] int authorId) => _effects.RunAsync(() => Task.FromResult(_store.GetAuthor(authorId)));

    private static string Escape(string text) => System.Net.WebUtility.HtmlEncode(text);
}
