using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using OtelGen.Spans;

namespace Behaviour;

/// <summary>
/// The corpus program. Without arguments it runs every case in order, each between a "== Name" line and an
/// "== end" line; whatever a case lets escape is printed, never thrown. The output must be the same, byte for
/// byte, whether the program was built with the OtelGen generator or without it (-p:OtelGenGenerator=false).
/// <list type="bullet">
/// <item><c>list</c>: the case names, a line each.</item>
/// <item><c>from N</c>: runs the cases from index N on (the test resumes after a case that crashed the process).</item>
/// <item><c>run NAME</c>: runs one case.</item>
/// <item><c>stack</c>: bytes of stack per level of a traced and of an untraced recursion (StackUse.cs).</item>
/// </list>
/// With BEHAVIOUR_SPANS_FILE set, the spans recorded during each case are appended to that file (never to stdout).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        IReadOnlyList<Case> cases = Registry.All;
        if (args is ["list"])
        {
            foreach (Case c in cases)
            {
                Console.WriteLine(c.Name);
            }
            return 0;
        }
        if (args is ["stack"])
        {
            StackUse.Print();
            return 0;
        }
        int from = args is ["from", string start] ? int.Parse(start, CultureInfo.InvariantCulture) : 0;
        string? only = args is ["run", string name] ? name : null;
        using SpanLog? spans = SpanLog.Open();
        for (int i = from; i < cases.Count; i++)
        {
            Case c = cases[i];
            if (only is not null && c.Name != only)
            {
                continue;
            }
            Console.WriteLine("== " + c.Name);
            try
            {
                c.Run();
            }
            catch (Exception ex)
            {
                Console.WriteLine("escaped: " + Describe(ex));
            }
            Console.WriteLine("== end");
            spans?.Collect(c.Name);
        }
        return 0;
    }
}

/// <summary>One case: a name and what it runs.</summary>
public sealed record Case(string Name, Action Run);

/// <summary>What the cases print with.</summary>
public static class Out
{
    public static void Say(string line) => Console.WriteLine(line);

    public static void Say(string label, object? value) => Console.WriteLine(label + ": " + Show(value));

    /// <summary>A value as text, the same on every run (invariant culture, null spelled out).</summary>
    public static string Show(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };

    /// <summary>An exception's type and message (never its stack trace, which differs by design).</summary>
    public static string Describe(Exception ex)
    {
        string text = ex.GetType().FullName + ": " + ex.Message;
        if (ex is AggregateException aggregate)
        {
            text += " [" + string.Join(", ", aggregate.InnerExceptions.Select(Describe)) + "]";
        }
        else if (ex.InnerException is { } inner)
        {
            text += " <- " + Describe(inner);
        }
        return text;
    }

    /// <summary>Runs <paramref name="action"/> and prints what it threw, if anything.</summary>
    public static void Try(string label, Action action)
    {
        try
        {
            action();
            Say(label + ": ok");
        }
        catch (Exception ex)
        {
            Say(label + ": threw " + Describe(ex));
        }
    }

    /// <summary>Runs <paramref name="func"/> and prints its value or what it threw.</summary>
    public static void Try<T>(string label, Func<T> func)
    {
        try
        {
            Say(label, func());
        }
        catch (Exception ex)
        {
            Say(label + ": threw " + Describe(ex));
        }
    }
}

/// <summary>
/// Appends the spans each case recorded to BEHAVIOUR_SPANS_FILE: one line per span, tab-separated:
/// case, name, kind, status, span id, parent span id, attributes (key=value;...), events (name;...).
/// Read with a cursor that holds the ring back, so no span is overwritten before it is read.
/// </summary>
public sealed class SpanLog : IDisposable
{
    private readonly SpanRingCursor _cursor;
    private readonly StreamWriter _writer;
    private readonly SpanRecord[] _buffer = Enumerable.Range(0, 256).Select(_ => new SpanRecord()).ToArray();

    private SpanLog(string path)
    {
        _cursor = new SpanRingCursor(Tracing.Ring, holdsBack: true);
        _writer = new StreamWriter(path, append: true, new UTF8Encoding(false));
    }

    public static SpanLog? Open() =>
        Environment.GetEnvironmentVariable("BEHAVIOUR_SPANS_FILE") is { Length: > 0 } path ? new SpanLog(path) : null;

    public void Collect(string caseName)
    {
        while (true)
        {
            int n = _cursor.Read(_buffer, Environment.TickCount64 * 1_000_000);
            if (n == 0)
            {
                break;
            }
            for (int i = 0; i < n; i++)
            {
                SpanRecord s = _buffer[i];
                var attributes = new StringBuilder();
                for (int a = 0; a < s.TotalAttributeCount; a++)
                {
                    KeyValue kv = s.AttributeAt(a);
                    attributes.Append(kv.Key).Append('=').Append(Clean(kv.Value.ToString())).Append(';');
                }
                var events = new StringBuilder();
                for (int e = 0; e < s.EventCount; e++)
                {
                    events.Append(s.Events[e].Name).Append(';');
                }
                _writer.WriteLine(string.Join('\t', caseName, s.Name, s.Kind, s.StatusCode, s.SpanId.ToHexString(), s.ParentSpanId.ToHexString(), attributes, events));
            }
        }
        _writer.Flush();
    }

    private static string Clean(string text) => text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ').Replace(';', ',');

    public void Dispose()
    {
        _cursor.Dispose();
        _writer.Dispose();
    }
}
