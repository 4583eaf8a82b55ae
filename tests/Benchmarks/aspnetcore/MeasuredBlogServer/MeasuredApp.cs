using BlogServer;
using Microsoft.AspNetCore.Builder;

namespace OtelGen.Benchmarks.AspNetCore;

/// <summary>samples/BlogServer with the measuring endpoints and the nested-spans route (built, not started).</summary>
public static class MeasuredApp
{
    /// <summary>Builds the app; tests pass <c>--urls http://127.0.0.1:0</c>.</summary>
    public static WebApplication Build(string[] args)
    {
        WebApplication app = BlogApp.Build(args);
        app.MapMeasuringEndpoints();
        app.MapNestedSpans();
        return app;
    }
}
