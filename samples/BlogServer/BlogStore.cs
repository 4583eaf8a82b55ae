using System.Collections.Generic;

namespace BlogServer;

/// <summary>A blog post.</summary>
public sealed record BlogPost(int Id, string Title, string Body, int AuthorId);

/// <summary>An author.</summary>
public sealed record Author(int Id, string Name);

/// <summary>A comment (served by the local comments stub).</summary>
public sealed record Comment(string Who, string Text);

/// <summary>The stub's JSON, generated at build time (web defaults: camelCase), so the sample also publishes native.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Comment[]))]
internal sealed partial class BlogJson : System.Text.Json.Serialization.JsonSerializerContext
{
}

/// <summary>The sample's data, in memory: no database to install.</summary>
public sealed class BlogStore
{
    private readonly Dictionary<int, BlogPost> _posts = new();
    private readonly Dictionary<int, Author> _authors = new()
    {
        [1] = new Author(1, "Ada Lovelace"),
        [2] = new Author(2, "Grace Hopper"),
        [3] = new Author(3, "Edsger <Dijkstra>"),
    };

    /// <summary>Posts 1..100, written by three authors.</summary>
    public BlogStore()
    {
        for (int id = 1; id <= 100; id++)
        {
            _posts[id] = new BlogPost(id, $"Post {id}: tracing at build time", $"Body of post {id}. Spans are cheap when the compiler writes them.", 1 + id % 3);
        }
    }

    /// <summary>The post, or null.</summary>
    public BlogPost? GetPost(int id) => _posts.TryGetValue(id, out BlogPost? post) ? post : null;

    /// <summary>The author, or null.</summary>
    public Author? GetAuthor(int id) => _authors.TryGetValue(id, out Author? author) ? author : null;

    /// <summary>What the comments stub serves for a post.</summary>
    public static Comment[] CommentsFor(int postId) => postId % 2 == 0
        ? new[] { new Comment("reader", $"Nice post #{postId}"), new Comment("lurker", "+1") }
        : new[] { new Comment("reader", $"Thanks for #{postId}") };
}
