using System.Collections.Concurrent;

namespace OtelGen.AspNetCore.Server;

/// <summary>
/// The OpenTelemetry HTTP semantic conventions a server span follows: known methods, the span name
/// <c>{method} {route}</c>, and the status policy (a server span is an error only from 500 on).
/// </summary>
internal static class HttpServerSemantics
{
    private static readonly ConcurrentDictionary<(string Method, string Route), string> s_names = new();

    /// <summary>The method as semconv records it: one of the known methods, else <c>_OTHER</c>.</summary>
    public static string NormalizeMethod(string method) => method switch
    {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        "QUERY" => "QUERY",
        _ => "_OTHER",
    };

    /// <summary><c>{method} {route}</c>, <c>{method}</c> without a route, <c>HTTP</c> for an unknown method. Cached: routes are templates, so the set is small.</summary>
    public static string SpanName(string method, string? route)
    {
        string shown = method == "_OTHER" ? "HTTP" : method;
        if (string.IsNullOrEmpty(route))
        {
            return shown;
        }
        // Routes are templates and methods a fixed set, so the cache stays small. (Not guarded by
        // ConcurrentDictionary.Count: that takes every bucket lock, a cost on each request.)
        return s_names.GetOrAdd((shown, route), static key => key.Method + " " + key.Route);
    }

    /// <summary>Server status policy: ERROR for 5xx, otherwise left UNSET (4xx is the client's error).</summary>
    public static bool IsServerError(int statusCode) => statusCode >= 500;

    /// <summary>The protocol version as semconv spells it (<c>1.1</c>, <c>2</c>, <c>3</c>).</summary>
    public static string? ProtocolVersion(string protocol) => protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/3" => "3",
        "HTTP/1.0" => "1.0",
        _ => null,
    };

    /// <summary>Status codes as strings for <c>error.type</c>, without formatting on each request.</summary>
    public static string StatusText(int statusCode) => statusCode switch
    {
        500 => "500",
        501 => "501",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
