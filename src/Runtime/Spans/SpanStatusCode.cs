namespace OtelGen;

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
