namespace OtelGen.Spans;

/// <summary>
/// What an HTTP server knows about a request when its span starts; each field maps to a semantic
/// convention attribute (null or 0 leaves the attribute out).
/// </summary>
public readonly struct HttpServerRequest
{
    /// <summary>The request method as received (<c>http.request.method</c>; unknown methods become <c>_OTHER</c>).</summary>
    public string? Method { get; init; }
    /// <summary>The matched route template, e.g. <c>/posts/{id}</c> (<c>http.route</c>); null when no route matched.</summary>
    public string? Route { get; init; }
    /// <summary><c>url.scheme</c>: <c>http</c> or <c>https</c>.</summary>
    public string? Scheme { get; init; }
    /// <summary><c>url.path</c>: the path as received.</summary>
    public string? Path { get; init; }
    /// <summary><c>url.query</c>: the query without its leading <c>?</c>.</summary>
    public string? Query { get; init; }
    /// <summary><c>server.address</c>: the host the client addressed.</summary>
    public string? ServerAddress { get; init; }
    /// <summary><c>server.port</c>: the port the client addressed (0 when unknown).</summary>
    public int ServerPort { get; init; }
    /// <summary><c>client.address</c>: the client's address.</summary>
    public string? ClientAddress { get; init; }
    /// <summary><c>user_agent.original</c>: the User-Agent header.</summary>
    public string? UserAgent { get; init; }
    /// <summary><c>network.protocol.version</c>: <c>1.1</c>, <c>2</c>, <c>3</c>.</summary>
    public string? ProtocolVersion { get; init; }
}
