using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using Xunit;

namespace OtelGen.TestSupport;

/// <summary>Runs a command to its end (dotnet pack, build, publish) for tests that build what they test.</summary>
public static class Command
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> in <paramref name="directory"/> and returns
    /// its standard output; fails the test with all its output when it exits non-zero, and kills it after
    /// <paramref name="timeout"/> (5 minutes unless given).
    /// </summary>
    public static string Run(string file, IEnumerable<string> arguments, string directory, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        Result result = Execute(file, arguments, directory, environment, timeout);
        if (result.TimedOut)
        {
            throw new TimeoutException($"{result.Line} did not finish in {result.Limit.TotalMinutes:F0} minutes");
        }
        Assert.True(result.ExitCode == 0, $"{result.Line} failed ({result.ExitCode}):\n{result.Stdout}{result.Stderr}");
        return result.Stdout;
    }

    /// <summary>What <see cref="Execute"/> saw: the command line, exit code, both outputs, and whether it was killed at its time limit.</summary>
    public sealed record Result(string Line, int ExitCode, string Stdout, string Stderr, bool TimedOut, TimeSpan Limit);

    /// <summary>
    /// Like <see cref="Run"/>, but returns the exit code and both outputs instead of failing the test, and kills the
    /// process tree at <paramref name="timeout"/> (5 minutes unless given), returning what it printed until then.
    /// </summary>
    public static Result Execute(string file, IEnumerable<string> arguments, string directory, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
        {
            foreach (KeyValuePair<string, string> kv in environment)
            {
                info.Environment[kv.Key] = kv.Value;
            }
        }
        string line = file + " " + string.Join(" ", info.ArgumentList);
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        TimeSpan limit = timeout ?? TimeSpan.FromMinutes(5);
        bool timedOut = !process.WaitForExit(limit);
        if (timedOut)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        return new Result(line, timedOut ? -1 : process.ExitCode, stdout.Result, stderr.Result, timedOut, limit);
    }
}
