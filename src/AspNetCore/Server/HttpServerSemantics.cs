namespace OtelGen.AspNetCore.Server;

/// <summary>
/// Small HTTP semantic-convention helpers this package needs beside the runtime's <see cref="OtelGen.Spans.HttpServerSpan"/>
/// (which owns server span names, attributes and the status policy).
/// </summary>
internal static class HttpServerSemantics
{
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
