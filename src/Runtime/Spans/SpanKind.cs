namespace OtelGen;

/// <summary>The role of a span in a trace. Values equal the OTLP <c>Span.SpanKind</c> numbers.</summary>
public enum SpanKind : byte
{
    /// <summary>Not given; exporters send it as is (OTLP 0).</summary>
    Unspecified = 0,
    /// <summary>An operation inside the application (the default).</summary>
    Internal = 1,
    /// <summary>Handles a request from a remote client.</summary>
    Server = 2,
    /// <summary>A request to a remote service (database, HTTP, cache).</summary>
    Client = 3,
    /// <summary>Hands a message to a broker or queue.</summary>
    Producer = 4,
    /// <summary>Processes a message taken from a broker or queue.</summary>
    Consumer = 5,
}

/// <summary>The status of a span. Values equal the OTLP <c>Status.StatusCode</c> numbers.</summary>
public enum SpanStatusCode : byte
{
    /// <summary>No status set: the default, and what a successful span usually carries.</summary>
    Unset = 0,
    /// <summary>Explicitly marked successful.</summary>
    Ok = 1,
    /// <summary>The operation failed.</summary>
    Error = 2,
}
