using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Logging.Tests;

/// <summary>What a person reads: the console logger's simple and JSON formatters with scopes, output captured.</summary>
public sealed class ConsoleTests
{
    /// <summary>
    /// Runs <paramref name="body"/> with a console logger factory whose output is captured: the console logger
    /// takes Console.Out when it is made, and disposing the factory writes out its queue.
    /// </summary>
    private static string Captured(Action<ILoggingBuilder> configure, Action<ILogger> body)
    {
        TextWriter original = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            ILoggerFactory factory = LoggerFactory.Create(configure);
            body(factory.CreateLogger("Orders"));
            factory.Dispose();
        }
        finally
        {
            Console.SetOut(original);
        }
        return output.ToString();
    }

    private static string IdsText(SpanContext span) =>
        $"SpanId:{span.SpanId.ToHexString()}, TraceId:{span.TraceId.ToHexString()}, ParentId:{Recorded.Span(span).ParentSpanId.ToHexString()}";

    [Fact]
    public void Simple_console_with_scopes_shows_the_spans_ids_then_the_users_scopes()
    {
        SpanContext span = default;
        string output = Captured(
            logging => logging.AddOtelGen().AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            }),
            log =>
            {
                using (log.BeginScope("order {OrderId}", 42))
                {
                    span = Work.Log(log, "order placed");
                }
                log.LogInformation("no span");
            });

        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"info: Orders[0] => {IdsText(span)} => order 42 order placed", lines);
        Assert.Contains("info: Orders[0] no span", lines);
    }

    [Fact]
    public void Simple_console_writes_the_line_when_a_scope_throws()
    {
        SpanContext span = default;
        string output = Captured(
            logging => logging.AddOtelGen().AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            }),
            log =>
            {
                using (log.BeginScope(new Throwing()))
                using (log.BeginScope("inner"))
                {
                    // Without OtelGen's provider the formatter's exception reaches this call (AggregateException).
                    span = Work.Log(log, "still written");
                }
            });

        string line = Assert.Single(output.Split('\n'), l => l.Contains("still written"));
        Assert.Contains($"=> {IdsText(span)} => ", line);
        Assert.Contains("inner still written", line);
    }

    [Fact]
    public void Json_console_with_scopes_has_the_ids_as_fields_and_as_the_scope_message()
    {
        SpanContext span = default;
        string output = Captured(
            logging => logging.AddOtelGen().AddJsonConsole(o => o.IncludeScopes = true),
            log =>
            {
                using (log.BeginScope("order {OrderId}", 42))
                {
                    span = Work.Log(log, "order placed");
                }
            });

        string json = Assert.Single(output.Split('\n'), l => l.Contains("order placed"));
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement[] scopes = document.RootElement.GetProperty("Scopes").EnumerateArray().ToArray();
        Assert.Equal(2, scopes.Length);
        JsonElement ids = scopes[0];
        Assert.Equal(IdsText(span), ids.GetProperty("Message").GetString());
        Assert.Equal(span.SpanId.ToHexString(), ids.GetProperty("SpanId").GetString());
        Assert.Equal(span.TraceId.ToHexString(), ids.GetProperty("TraceId").GetString());
        Assert.Equal(Recorded.Span(span).ParentSpanId.ToHexString(), ids.GetProperty("ParentId").GetString());
        Assert.Equal("order 42", scopes[1].GetProperty("Message").GetString());
        Assert.Equal(42, scopes[1].GetProperty("OrderId").GetInt32());
    }

    private sealed class Throwing
    {
        public override string ToString() => throw new InvalidOperationException("a scope state that cannot be shown");
    }
}
