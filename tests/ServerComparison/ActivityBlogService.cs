using System;
using System.Diagnostics;
using System.Net.Http;
using System.Net.Http.Json;
using System.Threading;
using System.Threading.Tasks;
using BlogServer;

namespace OtelGen.ServerComparison;

/// <summary>
/// samples/BlogServer's BlogService with each <c>[Traced]</c> step recorded as an Activity of
/// <see cref="Source"/>, named and tagged as OtelGen names and tags the step (<c>code.function.name</c>), and the
/// effects through <see cref="ActivityEffectQueue"/>. The page is the sample's own (BlogService.RenderPage).
/// </summary>
public sealed class ActivityBlogService
{
    /// <summary>The source of the steps, effects and nested spans.</summary>
    public static readonly ActivitySource Source = new("BlogServer");

    private readonly BlogStore _store;
    private readonly ActivityEffectQueue _effects;
    private readonly IHttpClientFactory _clients;
    private readonly Func<string> _selfUrl;
    private readonly int _dbDelayMs;

    /// <summary>Makes the service.</summary>
    public ActivityBlogService(BlogStore store, ActivityEffectQueue effects, IHttpClientFactory clients, Func<string> selfUrl, int dbDelayMs)
    {
        _store = store;
        _effects = effects;
        _clients = clients;
        _selfUrl = selfUrl;
        _dbDelayMs = dbDelayMs;
    }

    /// <summary>Step 1: the post and its comments (null when there is no such post).</summary>
    public async Task<(BlogPost Post, Comment[] Comments)?> LoadPostAsync(int id, CancellationToken cancel)
    {
        using Activity? step = Step("step.load_post", "BlogServer.BlogService.LoadPostAsync");
        try
        {
            BlogPost? post = await GetPostAsync(id);
            if (post is null)
            {
                return null;
            }
            Comment[] comments = await GetCommentsAsync(id, cancel);
            return (post, comments);
        }
        catch (Exception ex)
        {
            Fail(step, ex);
            throw;
        }
    }

    /// <summary>Step 2: the author, from the cache.</summary>
    public async Task<Author?> LoadAuthorAsync(BlogPost post)
    {
        using Activity? step = Step("step.load_author", "BlogServer.BlogService.LoadAuthorAsync");
        try
        {
            return await GetAuthorAsync(post.AuthorId);
        }
        catch (Exception ex)
        {
            Fail(step, ex);
            throw;
        }
    }

    /// <summary>Step 3: the page (the sample's own renderer).</summary>
    public string Render(BlogPost post, Author? author, Comment[] comments)
    {
        using Activity? step = Step("step.render", "BlogServer.BlogService.Render");
        return BlogService.RenderPage(post, author, comments);
    }

    private Task<BlogPost?> GetPostAsync(int id) => _effects.RunAsync(Source, "db.get", "blog_post", async () =>
    {
        if (_dbDelayMs > 0)
        {
            await Task.Delay(_dbDelayMs);
        }
        return _store.GetPost(id);
    }, activity => activity.SetTag("app.post.id", (long)id));

    private Task<Comment[]> GetCommentsAsync(int postId, CancellationToken cancel) => _effects.RunAsync(Source, "http.get", "comments", async () =>
    {
        HttpClient client = _clients.CreateClient("comments");
        return await client.GetFromJsonAsync(_selfUrl() + "/stub/comments/" + postId, ComparisonJson.Default.CommentArray, cancel) ?? Array.Empty<Comment>();
    });

    private Task<Author?> GetAuthorAsync(int authorId) => _effects.RunAsync(Source, "cache.get", "author", () => Task.FromResult(_store.GetAuthor(authorId)),
        activity => activity.SetTag("app.author.id", (long)authorId));

    /// <summary>
    /// An INTERNAL span with the attribute OtelGen's generator gives a <c>[Traced]</c> method, set after the start as
    /// OpenTelemetry's docs do it (nothing is allocated for the tags when the span is not sampled).
    /// </summary>
    internal static Activity? Step(string name, string function)
    {
        Activity? activity = Source.StartActivity(name, ActivityKind.Internal);
        activity?.SetTag("code.function.name", function);
        return activity;
    }

    /// <summary>What OtelGen records for an exception that leaves a traced call: the event, error.type and ERROR.</summary>
    internal static void Fail(Activity? step, Exception exception)
    {
        if (step is null)
        {
            return;
        }
        step.AddException(exception);
        step.SetTag("error.type", exception.GetType().FullName);
        step.SetStatus(ActivityStatusCode.Error, exception.Message);
    }
}

/// <summary>The comments' JSON (the sample's own context is internal to it).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Comment[]))]
internal sealed partial class ComparisonJson : System.Text.Json.Serialization.JsonSerializerContext
{
}
