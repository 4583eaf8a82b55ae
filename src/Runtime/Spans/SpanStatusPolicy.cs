using System;
using System.Diagnostics;

namespace OtelGen.Spans;

/// <summary>
/// How a span's status follows from what happened, in one place so every helper agrees:
/// a SERVER span is UNSET below 500 (4xx is the client's problem) and ERROR from 500; an effect that
/// failed is ERROR when it was required and UNSET (with <c>error.type</c>) when optional; a step is OK
/// unless it failed for a system reason. Exceptions always record the <c>exception</c> event.
/// </summary>
public static class SpanStatusPolicy
{
    /// <summary>The <c>error.type</c> value when the failure has no better name (semantic conventions).</summary>
    public const string OtherErrorType = "_OTHER";

    /// <summary>
    /// The <c>error.type</c> of an HTTP SERVER span whose request was aborted (the client went away, or the
    /// connection was reset) before it completed: a low-cardinality identifier, as the HTTP conventions allow;
    /// the exception, if one escaped, is in the <c>exception</c> event. Such a span is ERROR (the conventions:
    /// a cancelled request is an error) but not a server failure, so the route aggregates leave it out of their errors.
    /// </summary>
    internal const string RequestAbortedErrorType = "request_aborted";

    private static readonly string[] s_serverErrorCodes = MakeCodes();

    /// <summary>The status of an HTTP SERVER span for response <paramref name="statusCode"/>: ERROR for 5xx, else UNSET.</summary>
    public static SpanStatusCode ForHttpServer(int statusCode) => statusCode >= 500 ? SpanStatusCode.Error : SpanStatusCode.Unset;

    /// <summary>
    /// The <c>error.type</c> of an HTTP SERVER span: the status code as a string for 5xx (semantic
    /// conventions), null otherwise. Cached strings, so no allocation.
    /// </summary>
    public static string? HttpServerErrorType(int statusCode)
    {
        if (statusCode < 500)
        {
            return null;
        }
        return statusCode <= 599 ? s_serverErrorCodes[statusCode - 500] : OtherErrorType;
    }

    /// <summary>True for an HTTP SERVER span of a request aborted before it completed (<see cref="RequestAbortedErrorType"/>).</summary>
    internal static bool IsAbortedRequest(SpanRecord span) =>
        span.Kind == ActivityKind.Server && span.TryGetAttribute("error.type", out AttributeValue type) && type.Type == AttributeType.String
        && type.AsString() == RequestAbortedErrorType;

    /// <summary>The status of an effect: UNSET when it succeeded or was optional, ERROR when a required effect failed.</summary>
    public static SpanStatusCode ForEffect(bool succeeded, bool optional) =>
        succeeded || optional ? SpanStatusCode.Unset : SpanStatusCode.Error;

    /// <summary>The status of a step: OK, unless it failed for a system reason (then ERROR). A business failure stays OK.</summary>
    public static SpanStatusCode ForStep(bool succeeded, bool systemFailure) =>
        !succeeded && systemFailure ? SpanStatusCode.Error : SpanStatusCode.Ok;

    /// <summary>The <c>error.type</c> of an exception: its full type name.</summary>
    public static string ErrorType(Exception exception)
    {
        Type type = exception.GetType();
        return type.FullName ?? type.Name;
    }

    /// <summary>Adds the <c>exception</c> event (type, message, stack trace) and <c>error.type</c>; leaves the status to the caller.</summary>
    internal static void RecordExceptionEvent(SpanRecord record, Exception exception, long time)
    {
        try
        {
            string type = ErrorType(exception);
            record.AddEvent("exception", time, new KeyValue[]
            {
                new("exception.type", type),
                new("exception.message", exception.Message),
                new("exception.stacktrace", exception.ToString()),
            });
            record.SetAttribute("error.type", type);
        }
        catch
        {
            // Telemetry never throws into the application.
        }
    }

    private static string[] MakeCodes()
    {
        var codes = new string[100];
        for (int i = 0; i < codes.Length; i++)
        {
            codes[i] = (500 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return codes;
    }
}
