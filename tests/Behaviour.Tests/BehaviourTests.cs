using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace OtelGen.Behaviour.Tests;

/// <summary>
/// "Behaves exactly as without OtelGen": every case of tests/Behaviour.Corpus prints the same bytes whether the
/// program was built with the OtelGen generator or without it (<c>-p:OtelGenGenerator=false</c>), neither writes
/// to stderr, both exit alike; the traced program records the spans it should, the untraced one none; a traced
/// frame costs at most twice the stack of an untraced one.
/// </summary>
public sealed class BehaviourTests : IClassFixture<CorpusFixture>
{
    private readonly CorpusFixture _corpus;
    private readonly ITestOutputHelper _output;

    public BehaviourTests(CorpusFixture corpus, ITestOutputHelper output)
    {
        _corpus = corpus;
        _output = output;
    }

    public static TheoryData<string> Cases => new(CorpusFixture.RegistryNames());

    [Fact]
    public void TracedBuildCompiles()
    {
        CorpusBuild build = _corpus.Traced;
        _output.WriteLine(build.Log);
        Assert.True(build.Built, $"The corpus does not compile with the OtelGen generator ({build.Errors.Count} errors):\n  "
            + string.Join("\n  ", build.Errors) + FallbackNote());
    }

    [Fact]
    public void UntracedBuildCompiles()
    {
        CorpusBuild build = _corpus.Untraced;
        _output.WriteLine(build.Log);
        Assert.True(build.Built, $"The corpus does not compile without the generator (-p:OtelGenGenerator=false), so the corpus itself is wrong:\n  "
            + string.Join("\n  ", build.Errors));
    }

    [Fact]
    public void The_programs_list_the_cases_of_Registry_cs()
    {
        IReadOnlyList<string> expected = CorpusFixture.RegistryNames();
        Assert.True(expected.Count >= 50, "Registry.cs lists " + expected.Count + " cases");
        CorpusRun untraced = RequireUntraced();
        Assert.Equal(expected, untraced.Names);
        AssertTracedBuilt(() =>
        {
            CorpusRun traced = _corpus.TracedRun ?? throw new InvalidOperationException("no traced run");
            IEnumerable<string> built = expected.Where(_corpus.TracedHas);
            return traced.Names.SequenceEqual(built) ? null : "the traced program lists other cases:\n" + string.Join("\n", traced.Names);
        });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_is_the_same_with_and_without_OtelGen(string name)
    {
        CorpusRun untraced = RequireUntraced();
        Assert.True(untraced.Sections.TryGetValue(name, out CaseSection? plain), $"The untraced program did not run {name}");
        Assert.True(plain!.Completed, $"{name} does not complete even without OtelGen ({plain.Crash}):\n{plain.Output}");
        _output.WriteLine("untraced:\n" + plain.Output);
        AssertTracedBuilt(() =>
        {
            if (_corpus.TracedRun is not { } traced)
            {
                return "no traced run";
            }
            if (!traced.Sections.TryGetValue(name, out CaseSection? section))
            {
                return _corpus.TracedHas(name) ? "the traced program never reached this case" : LeftOut(name);
            }
            _output.WriteLine("traced:\n" + section.Output);
            return Compare(plain, section);
        });
    }

    [Fact]
    public void Exit_codes_are_the_same_and_neither_program_writes_to_stderr()
    {
        CorpusRun untraced = RequireUntraced();
        Assert.True(untraced.ExitCode == 0 && untraced.Stderr.Length == 0, $"The untraced program: exit code {untraced.ExitCode}, stderr:\n{untraced.Stderr}");
        AssertTracedBuilt(() =>
        {
            CorpusRun traced = _corpus.TracedRun!;
            _output.WriteLine(string.Join("\n", traced.Processes.Concat(untraced.Processes)));
            var problems = new StringBuilder();
            if (traced.ExitCode != untraced.ExitCode)
            {
                problems.Append($"exit code {traced.ExitCode} with OtelGen, {untraced.ExitCode} without\n");
            }
            if (traced.Stderr.Length > 0)
            {
                problems.Append("the traced program wrote to stderr:\n").Append(CorpusFixture.Head(traced.Stderr.ToString(), 40)).Append('\n');
            }
            if (problems.Length > 0)
            {
                problems.Append("processes:\n  ").Append(string.Join("\n  ", traced.Processes));
            }
            return problems.Length == 0 ? null : problems.ToString();
        });
    }

    [Fact]
    public void The_untraced_program_records_no_span()
    {
        CorpusRun untraced = RequireUntraced();
        Assert.True(untraced.Spans.Count == 0, $"{untraced.Spans.Count} spans without the generator, e.g. {untraced.Spans.FirstOrDefault()}");
    }

    [Fact]
    public void The_traced_program_records_the_expected_spans()
    {
        AssertTracedBuilt(() =>
        {
            CorpusRun traced = _corpus.TracedRun!;
            _output.WriteLine($"{traced.Spans.Count} spans");
            var problems = new List<string>();
            Dictionary<string, SpanLine> byId = traced.Spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());

            List<SpanLine> Named(string caseName, string spanName) => traced.Spans.Where(s => s.Case == caseName && s.Name == spanName).ToList();

            void Count(string caseName, string spanName, int expected)
            {
                int actual = Named(caseName, spanName).Count;
                if (actual != expected)
                {
                    problems.Add($"{caseName}: {actual} spans '{spanName}', expected {expected}");
                }
            }

            SpanLine? Parent(SpanLine s) => byId.GetValueOrDefault(s.ParentId);

            // Recursion: one span per level, each the child of the level above.
            Count("Sync.Recursion", "Recursion.Factorial", 20 + 21);
            Count("Sync.Recursion", "Recursion.Fib", 177);
            Count("Sync.Recursion", "Recursion.IsEven", 8);
            Count("Sync.Recursion", "Recursion.IsOdd", 8);
            List<SpanLine> factorial = Named("Sync.Recursion", "Recursion.Factorial");
            int deepest = factorial.Select(s =>
            {
                int depth = 1;
                for (SpanLine? p = Parent(s); p is { Name: "Recursion.Factorial" }; p = Parent(p))
                {
                    depth++;
                }
                return depth;
            }).DefaultIfEmpty(0).Max();
            if (deepest != 21)
            {
                problems.Add($"Sync.Recursion: the deepest chain of Recursion.Factorial spans is {deepest} long, expected 21 (Factorial(21))");
            }
            int factorialErrors = factorial.Count(s => s.Status == "Error");
            if (factorialErrors != 1)
            {
                problems.Add($"Sync.Recursion: {factorialErrors} Recursion.Factorial spans with status Error, expected 1 (the level where 21 * 20! overflows)");
            }

            // Calls on a receiver of a type-parameter type that may be a struct are not intercepted (the interceptor
            // would box it and lose the mutation; OTG1007 says so): only the call through the ICounter variable is.
            Count("Generics.ConstrainedCalls", "ICounter.Inc", 1);

            // Nested frames: Outer > Middle > Inner, the failing call's three spans in error.
            foreach (string n in new[] { "Outer", "Middle", "Inner" })
            {
                Count("Exceptions.NestedThrow", "NestedThrow." + n, 2);
                int errors = Named("Exceptions.NestedThrow", "NestedThrow." + n).Count(s => s.Status == "Error");
                if (errors != 1)
                {
                    problems.Add($"Exceptions.NestedThrow: {errors} NestedThrow.{n} spans in error, expected 1");
                }
            }
            foreach (SpanLine inner in Named("Exceptions.NestedThrow", "NestedThrow.Inner"))
            {
                if (Parent(inner)?.Name != "NestedThrow.Middle" || Parent(Parent(inner)!)?.Name != "NestedThrow.Outer")
                {
                    problems.Add($"Exceptions.NestedThrow: NestedThrow.Inner's parents are {Parent(inner)?.Name ?? "none"} > {(Parent(inner) is { } p ? Parent(p)?.Name : null) ?? "none"}, expected NestedThrow.Middle > NestedThrow.Outer");
                }
            }

            // Parallel.For inside a traced body: its 100 Square calls are children of ParallelSum.
            SpanLine? parallel = Named("Async.Forks", "Forks.ParallelSum").FirstOrDefault();
            int squares = parallel is null ? 0 : traced.Spans.Count(s => s.Name == "Forks.Square" && s.ParentId == parallel.SpanId);
            if (squares != 100)
            {
                problems.Add($"Async.Forks: {squares} Forks.Square spans under Forks.ParallelSum, expected 100");
            }

            // Effects: CLIENT spans named "{operation} {target}"; an optional effect's failure leaves the status unset.
            Count("Tags.Effects", "db.get corpus_row", 2);
            Count("Tags.Effects", "cache.get corpus_cache", 2);
            Count("Tags.Effects", "http.get corpus_feed", 1);
            foreach (SpanLine s in traced.Spans.Where(s => s.Case == "Tags.Effects"))
            {
                if (s.Kind != "Client")
                {
                    problems.Add($"Tags.Effects: {s.Name} has kind {s.Kind}, expected Client");
                }
            }
            if (Named("Tags.Effects", "db.get corpus_row").Count(s => s.Status == "Error") != 1)
            {
                problems.Add("Tags.Effects: expected one db.get corpus_row span in error");
            }
            if (Named("Tags.Effects", "cache.get corpus_cache").Any(s => s.Status == "Error"))
            {
                problems.Add("Tags.Effects: an optional effect's failure set status Error");
            }

            // Tags with extreme values: the first Ints call.
            SpanLine? ints = Named("Tags.Integers", "TagIntegers.Ints").FirstOrDefault();
            var expectedTags = new Dictionary<string, string>
            {
                ["corpus.i"] = "-2147483648",
                ["corpus.l"] = "-9223372036854775808",
                ["corpus.u"] = "4294967295",
                ["corpus.ul"] = "-1",
            };
            foreach ((string key, string value) in expectedTags)
            {
                string? actual = ints?.Attributes.GetValueOrDefault(key);
                if (actual != value)
                {
                    problems.Add($"Tags.Integers: TagIntegers.Ints's {key} = {actual ?? "(absent)"}, expected {value}");
                }
            }
            return problems.Count == 0 ? null : string.Join("\n", problems);
        });
    }

    [Fact]
    public void A_cold_traced_frame_uses_at_most_twice_the_stack_of_an_untraced_one()
    {
        AssertTracedBuilt(() =>
        {
            _output.WriteLine(_corpus.StackOutput);
            if (_corpus.Stack is not { } stack)
            {
                return "the corpus's stack mode printed no numbers:\n" + _corpus.StackOutput;
            }
            string numbers = $"tier 0: {stack.Traced} bytes of stack per traced level, {stack.Untraced} per untraced level (ratio {(double)stack.Traced / stack.Untraced:0.00})";
            if (_corpus.OptimizedStack is { } optimized)
            {
                // Reported, not asserted: optimized frames are small enough that the traced frame's fixed part
                // (return address, frame pointer, saved arguments, the 16-byte scope: 48 bytes) is more than one.
                numbers += $"; optimized: {optimized.Traced} against {optimized.Untraced} (ratio {(double)optimized.Traced / optimized.Untraced:0.00})";
            }
            _output.WriteLine(numbers);
            return stack.Traced <= 2 * stack.Untraced ? null : numbers + ", more than twice at tier 0";
        });
    }

    private CorpusRun RequireUntraced()
    {
        Assert.True(_corpus.Untraced.Built, "The corpus does not compile without the generator (see UntracedBuildCompiles):\n  " + string.Join("\n  ", _corpus.Untraced.Errors.Take(10)));
        return _corpus.UntracedRun!;
    }

    /// <summary>
    /// Fails when the full traced build did not compile (saying so first), adding what <paramref name="check"/>
    /// found on the build without Breakers/; otherwise fails with what <paramref name="check"/> returns (null: passed).
    /// </summary>
    private void AssertTracedBuilt(Func<string?> check)
    {
        if (_corpus.Traced.Built)
        {
            string? problem = check();
            Assert.True(problem is null, problem);
            return;
        }
        var message = new StringBuilder("The corpus does not compile with the OtelGen generator (see TracedBuildCompiles; first error: ")
            .Append(Shorten(_corpus.Traced.Errors.FirstOrDefault()?.Text ?? "none reported, see the build log")).Append(").");
        if (_corpus.TracedRun is null)
        {
            message.Append($" As {_corpus.TracedWithoutBreakers?.Label} it does not compile either.");
        }
        else
        {
            string? problem = check();
            message.Append(problem is null
                ? $" Built as {_corpus.TracedWithoutBreakers?.Label}, this check passes."
                : $" Built as {_corpus.TracedWithoutBreakers?.Label}, this check fails too: " + problem);
        }
        Assert.Fail(message.ToString());
    }

    private string FallbackNote()
    {
        if (_corpus.TracedWithoutBreakers is not { } fallback)
        {
            return "";
        }
        var note = new StringBuilder();
        if (_corpus.Skipped.Count > 0)
        {
            note.Append("\nBy file of Breakers/, with the errors that showed once the files before were left out:");
            foreach ((string file, List<string> errors) in _corpus.Skipped)
            {
                note.Append($"\n  Breakers/{file}.cs:\n    ").Append(string.Join("\n    ", errors.Select(e => e.Replace("\n", "\n  "))));
            }
        }
        note.Append(fallback.Built
            ? $"\nAs {fallback.Label} (-p:BehaviourSkip=...) it compiles; the other tests report on that build."
            : $"\nAs {fallback.Label} it does not compile either:\n  " + string.Join("\n  ", fallback.Errors));
        return note.ToString();
    }

    private string LeftOut(string name)
    {
        string file = name.Substring("Breakers.".Length);
        return _corpus.Skipped.TryGetValue(file, out List<string>? errors)
            ? $"Breakers/{file}.cs was left out of the build that compiles, for these errors:\n  " + string.Join("\n  ", errors)
            : "Breakers/ was left out whole from the build that compiles";
    }

    /// <summary>Null when both sections are the same bytes and complete; else both outputs and the first line that differs.</summary>
    private static string? Compare(CaseSection untraced, CaseSection traced)
    {
        if (traced.Completed && traced.Output == untraced.Output)
        {
            return null;
        }
        var text = new StringBuilder();
        if (!traced.Completed)
        {
            text.Append("the traced program did not finish this case: ").Append(traced.Crash).Append('\n');
        }
        string[] a = untraced.Output.Split('\n');
        string[] b = traced.Output.Split('\n');
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            string? x = i < a.Length ? a[i] : null;
            string? y = i < b.Length ? b[i] : null;
            if (x != y)
            {
                text.Append($"first difference at line {i + 1}:\n  without OtelGen: {x ?? "(nothing)"}\n  with OtelGen:    {y ?? "(nothing)"}\n");
                break;
            }
        }
        text.Append("without OtelGen:\n").Append(Indent(untraced.Output)).Append("with OtelGen:\n").Append(Indent(traced.Output));
        return text.ToString();
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text.Substring(0, 160) + "...";

    private static string Indent(string text) => string.Concat(text.TrimEnd('\n').Split('\n').Select(l => "  | " + l + "\n"));
}
