using System.Diagnostics;
using System.Threading.Tasks;
using OtelGen;

namespace MyApp.Data;

public class BlogStore
{
    [Effect("db.get", Target = "blog_post")]
    public string Get(int id) => "post" + id;

    [Effect("db.insert")]
    public Task InsertAsync(string title) => Task.CompletedTask;

    [Effect("http.get", Target = "feeds")]
    public Task<string> FetchAsync(string url) => Task.FromResult(url);

    [Effect("cache.get", Target = "posts", Required = false)]
    public string? Cached(int id) => null;

    [Effect("queue.publish", Target = "events", Kind = ActivityKind.Producer)]
    public void Publish(string message) { }
}

public static class Program
{
    public static async Task Run(BlogStore store)
    {
        _ = store.Cached(1) ?? store.Get(1);
        await store.InsertAsync("hello");
        _ = await store.FetchAsync("http://example.test/feed");
        store.Publish("created");
    }
}
