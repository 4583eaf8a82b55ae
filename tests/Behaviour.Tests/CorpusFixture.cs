using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using OtelGen.TestSupport;

namespace OtelGen.Behaviour.Tests;

/// <summary>One build of tests/Behaviour.Corpus: whether it compiled, its errors (with the generated line each names), its program.</summary>
public sealed record CorpusBuild(string Label, bool Built, IReadOnlyList<BuildError> Errors, string Log, string Dll);

/// <summary>
/// A compile error, shortened (an error in the generated file is followed by the line it names), and the file of
/// Breakers/ it comes from (for the generated file: the file of the call sites the failing interceptor intercepts), if any.
/// </summary>
public sealed record BuildError(string Text, string? Breaker)
{
    public override string ToString() => Text;
}

/// <summary>A case's output between its "== Name" and "== end" lines; <see cref="Crash"/> says how the process ended when the end line never came.</summary>
public sealed record CaseSection(string Name, string Output, bool Completed, string? Crash);

/// <summary>A span the corpus wrote to BEHAVIOUR_SPANS_FILE.</summary>
public sealed record SpanLine(string Case, string Name, string Kind, string Status, string SpanId, string ParentId, IReadOnlyDictionary<string, string> Attributes, string Events);

/// <summary>Everything one build printed: each case's section, the first process's exit code, all stderr, the spans.</summary>
public sealed class CorpusRun
{
    public required string Label { get; init; }
    public required IReadOnlyList<string> Names { get; init; }
    public Dictionary<string, CaseSection> Sections { get; } = new();
    public int ExitCode { get; set; }
    public StringBuilder Stderr { get; } = new();
    public List<SpanLine> Spans { get; } = new();
    public List<string> Processes { get; } = new();

}

/// <summary>
/// Builds tests/Behaviour.Corpus twice, Release, into folders of its own under the test's output folder (so no
/// other build shares its obj/bin): with the OtelGen generator and with <c>-p:OtelGenGenerator=false</c>, both
/// with TreatWarningsAsErrors and Nullable from Directory.Build.props. Then runs both programs. A case that kills
/// the process (a stack overflow) is reported as that case's crash, and the run goes on from the next case in a
/// new process. When the traced build does not compile, its errors are kept for TracedBuildCompiles and the
/// corpus is built again without Breakers/ (the shapes that stopped it compiling when the corpus was written),
/// so that every other test can still say whether its case behaves the same.
/// </summary>
public sealed class CorpusFixture
{
    private static readonly TimeSpan BuildLimit = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    public CorpusFixture()
    {
        Root = Path.Combine(AppContext.BaseDirectory, "corpus");
        Directory.CreateDirectory(Root);
        Task<CorpusBuild> traced = Task.Run(() => Build("traced", "traced", "-p:OtelGenGenerator=true"));
        Task<CorpusBuild> untraced = Task.Run(() => Build("untraced", "untraced", "-p:OtelGenGenerator=false"));
        Traced = traced.Result;
        Untraced = untraced.Result;
        CorpusBuild? runnable = Traced;
        if (!Traced.Built)
        {
            TracedWithoutBreakers = BuildWithoutBreakers();
            runnable = TracedWithoutBreakers.Built ? TracedWithoutBreakers : null;
        }
        if (runnable is not null)
        {
            TracedRun = Run(runnable, "traced");
            // A cold deep recursion runs tier-0 code (what overflows in practice, and how the issue measured:
            // 176 traced against 48 plain); optimized code is measured too, and reported.
            (Stack, string coldOutput) = MeasureStack(runnable, new Dictionary<string, string>());
            (OptimizedStack, string optimizedOutput) = MeasureStack(runnable, new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0", ["DOTNET_TieredPGO"] = "0" });
            StackOutput = "tier 0:\n" + coldOutput + "optimized (DOTNET_TieredCompilation=0):\n" + optimizedOutput;
        }
        if (Untraced.Built)
        {
            UntracedRun = Run(Untraced, "untraced");
        }
    }

    /// <summary>Where both builds and their spans files live: the test's output folder, so rebuilds are incremental.</summary>
    public string Root { get; }

    public CorpusBuild Traced { get; }
    public CorpusBuild Untraced { get; }

    /// <summary>Only when <see cref="Traced"/> did not compile: the traced build without the files of Breakers/ its errors came from.</summary>
    public CorpusBuild? TracedWithoutBreakers { get; }

    /// <summary>The files of Breakers/ (names without .cs) left out of <see cref="TracedWithoutBreakers"/>, with the errors that named each.</summary>
    public SortedDictionary<string, List<string>> Skipped { get; } = new(StringComparer.Ordinal);

    /// <summary>True when all of Breakers/ was left out (an error came from elsewhere, or leaving out files did not help).</summary>
    public bool SkippedAll { get; private set; }

    /// <summary>Whether the traced program that ran has the case <paramref name="name"/>.</summary>
    public bool TracedHas(string name) =>
        Traced.Built || !name.StartsWith("Breakers.", StringComparison.Ordinal) || (!SkippedAll && !Skipped.ContainsKey(name.Substring("Breakers.".Length)));

    /// <summary>The run of the traced program (of <see cref="TracedWithoutBreakers"/> when the full one did not compile).</summary>
    public CorpusRun? TracedRun { get; }
    public CorpusRun? UntracedRun { get; }

    /// <summary>Bytes of stack per recursion level in the traced program, cold (tier 0): a traced method, the same method untraced.</summary>
    public (long Traced, long Untraced)? Stack { get; }

    /// <summary>The same, with every method optimized at once (no tiering).</summary>
    public (long Traced, long Untraced)? OptimizedStack { get; }

    private ((long Traced, long Untraced)? Numbers, string Output) MeasureStack(CorpusBuild runnable, Dictionary<string, string> environment)
    {
        Command.Result stack = Command.Execute("dotnet", new[] { runnable.Dll, "stack" }, Root, environment, RunLimit);
        Match t = Regex.Match(stack.Stdout, @"^traced (\d+)", RegexOptions.Multiline);
        Match u = Regex.Match(stack.Stdout, @"^untraced (\d+)", RegexOptions.Multiline);
        (long, long)? numbers = stack.ExitCode == 0 && t.Success && u.Success ? (long.Parse(t.Groups[1].Value), long.Parse(u.Groups[1].Value)) : null;
        return (numbers, stack.Stdout + stack.Stderr);
    }
    public string StackOutput { get; } = "";

    public static string CorpusDirectory => Path.Combine(RepoPaths.Root, "tests", "Behaviour.Corpus");

    /// <summary>The case names, read from the corpus's Registry.cs (so test discovery needs no build).</summary>
    public static IReadOnlyList<string> RegistryNames() =>
        Regex.Matches(File.ReadAllText(Path.Combine(CorpusDirectory, "Registry.cs")), @"new\(""([^""]+)"",")
            .Select(m => m.Groups[1].Value).ToList();

    /// <summary>
    /// Builds the traced corpus again without the files of Breakers/ that the errors come from, as often as new
    /// errors show up (an error in a declaration hides the errors in method bodies until it is gone); without all of
    /// Breakers/ when an error comes from another file or leaving files out stops helping.
    /// </summary>
    private CorpusBuild BuildWithoutBreakers()
    {
        CorpusBuild last = Traced;
        for (int round = 0; round < 8 && !last.Built; round++)
        {
            bool progress = false;
            foreach (BuildError error in last.Errors)
            {
                if (error.Breaker is { } file)
                {
                    if (!Skipped.TryGetValue(file, out List<string>? errors))
                    {
                        Skipped[file] = errors = new List<string>();
                        progress = true;
                    }
                    if (!errors.Contains(error.Text))
                    {
                        errors.Add(error.Text);
                    }
                }
            }
            if (!progress || last.Errors.Any(e => e.Breaker is null))
            {
                SkippedAll = true;
                return Build("traced without Breakers/", "traced", "-p:OtelGenGenerator=true", "-p:BehaviourSkip=all");
            }
            last = Build("traced without Breakers/" + string.Join(", Breakers/", Skipped.Keys), "traced", "-p:OtelGenGenerator=true", "-p:BehaviourSkip=" + string.Join("+", Skipped.Keys));
        }
        return last;
    }

    private CorpusBuild Build(string label, string folder, params string[] properties)
    {
        string artifacts = Path.Combine(Root, folder);
        var arguments = new List<string>
        {
            "build", Path.Combine(CorpusDirectory, "Behaviour.Corpus.csproj"), "-c", "Release",
            "--artifacts-path", artifacts, "-nodeReuse:false", "-clp:NoSummary",
        };
        arguments.AddRange(properties);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Command.Result result = Command.Execute("dotnet", arguments, CorpusDirectory, timeout: BuildLimit);
        string log = $"{result.Line} ({watch.Elapsed.TotalSeconds:0} s)\n" + result.Stdout + result.Stderr + (result.TimedOut ? $"\n(killed after {BuildLimit.TotalMinutes} minutes)" : "");
        string dll = Path.Combine(artifacts, "bin", "Behaviour.Corpus", "release", "Behaviour.Corpus.dll");
        return new CorpusBuild(label, result.ExitCode == 0 && !result.TimedOut && File.Exists(dll), Errors(result.Stdout + result.Stderr), log, dll);
    }

    /// <summary>The build's error lines, once each, shortened; an error in the generated file is followed by the line it names.</summary>
    private static List<BuildError> Errors(string log)
    {
        var errors = new List<BuildError>();
        var seen = new HashSet<string>();
        foreach (string raw in log.Split('\n'))
        {
            string line = raw.TrimEnd('\r').Trim();
            if (!line.Contains(": error ", StringComparison.Ordinal))
            {
                continue;
            }
            line = Regex.Replace(line, @" \[[^\]]+\.csproj\]$", "");
            if (!seen.Add(line))
            {
                continue;
            }
            Match generated = Regex.Match(line, @"^(?<path>.*OtelGen\.Interceptors\.g\.cs)\((?<line>\d+),(?<column>\d+)\)");
            string shown = line.Replace(CorpusDirectory + Path.DirectorySeparatorChar, "");
            string? breaker = Regex.Match(shown, @"^Breakers[/\\](\w+)\.cs\(") is { Success: true } m ? m.Groups[1].Value : null;
            if (generated.Success)
            {
                shown = "OtelGen.Interceptors.g.cs" + line.Substring(generated.Groups["path"].Length);
                string path = generated.Groups["path"].Value;
                int number = int.Parse(generated.Groups["line"].Value);
                string[] lines = File.Exists(path) ? File.ReadAllLines(path) : Array.Empty<string>();
                if (number <= lines.Length)
                {
                    shown += "\n      > " + lines[number - 1].Trim();
                    // The interceptor's "// Intercepts: File.cs(line,col)" comments name its call sites' file.
                    for (int i = number - 1; i >= 0; i--)
                    {
                        if (Regex.Match(lines[i], @"^\s*// Intercepts: (\w+)\.cs\(") is { Success: true } site)
                        {
                            string file = site.Groups[1].Value;
                            breaker = File.Exists(Path.Combine(CorpusDirectory, "Breakers", file + ".cs")) ? file : null;
                            break;
                        }
                    }
                }
            }
            errors.Add(new BuildError(shown, breaker));
        }
        return errors;
    }

    private CorpusRun Run(CorpusBuild build, string label)
    {
        Command.Result list = Command.Execute("dotnet", new[] { build.Dll, "list" }, Root, timeout: RunLimit);
        var run = new CorpusRun
        {
            Label = label,
            Names = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        int from = 0;
        bool first = true;
        while (from < run.Names.Count)
        {
            string spansFile = Path.Combine(Root, $"{label}-spans-{from}.tsv");
            File.Delete(spansFile);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Command.Result result = Command.Execute("dotnet", new[] { build.Dll, "from", from.ToString() }, Root,
                new Dictionary<string, string> { ["BEHAVIOUR_SPANS_FILE"] = spansFile }, RunLimit);
            run.Processes.Add($"{result.Line}: exit code {result.ExitCode}{(result.TimedOut ? " (killed at the time limit)" : "")}, {watch.Elapsed.TotalSeconds:0.0} s");
            if (first)
            {
                run.ExitCode = result.ExitCode;
                first = false;
            }
            if (result.Stderr.Length > 0)
            {
                run.Stderr.Append($"[{label}, cases from {from}] ").Append(result.Stderr);
            }
            if (File.Exists(spansFile))
            {
                run.Spans.AddRange(File.ReadAllLines(spansFile).Select(ParseSpan));
            }
            List<CaseSection> sections = Parse(result.Stdout);
            int next = from;
            foreach (CaseSection section in sections)
            {
                CaseSection kept = section;
                if (!section.Completed)
                {
                    string how = result.TimedOut ? $"killed after {RunLimit.TotalMinutes} minutes" : $"the process ended with exit code {result.ExitCode}";
                    kept = section with { Crash = how + (result.Stderr.Length > 0 ? ", stderr:\n" + Head(result.Stderr, 12) : "") };
                }
                run.Sections[section.Name] = kept;
                next = Math.Max(next, IndexOf(run.Names, section.Name) + 1);
            }
            if (next <= from || (result.ExitCode == 0 && !result.TimedOut))
            {
                break;
            }
            from = next;
        }
        return run;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Splits stdout into "== Name" ... "== end" sections; a last section without its end line is incomplete.</summary>
    public static List<CaseSection> Parse(string stdout)
    {
        var sections = new List<CaseSection>();
        string? name = null;
        var text = new StringBuilder();
        foreach (string line in stdout.Split('\n'))
        {
            if (line == "== end")
            {
                if (name is not null)
                {
                    sections.Add(new CaseSection(name, text.ToString(), true, null));
                }
                name = null;
                text.Clear();
            }
            else if (line.StartsWith("== ", StringComparison.Ordinal))
            {
                name = line.Substring(3);
                text.Clear();
            }
            else if (name is not null)
            {
                text.Append(line).Append('\n');
            }
        }
        if (name is not null)
        {
            sections.Add(new CaseSection(name, text.ToString().TrimEnd('\n'), false, null));
        }
        return sections;
    }

    private static SpanLine ParseSpan(string line)
    {
        string[] f = line.Split('\t');
        var attributes = new Dictionary<string, string>();
        foreach (string kv in f[6].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = kv.IndexOf('=');
            attributes[kv.Substring(0, eq)] = kv.Substring(eq + 1);
        }
        return new SpanLine(f[0], f[1], f[2], f[3], f[4], f[5], attributes, f[7]);
    }

    public static string Head(string text, int lines) => string.Join("\n", text.Split('\n').Take(lines));
}
