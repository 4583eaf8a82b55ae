using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Xunit.Sdk;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Checked-in baselines of generated code. A mismatch fails with a readable line diff; running with
/// OTELGEN_UPDATE_BASELINES=1 rewrites the baseline and still fails, so rewritten baselines get reviewed.
/// </summary>
internal static class Baseline
{
    public const string UpdateVariable = "OTELGEN_UPDATE_BASELINES";

    public static void Match(string path, string actual)
    {
        actual = actual.Replace("\r\n", "\n");
        string? expected = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            return;
        }
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, actual);
            throw new XunitException($"Baseline {Path.GetFileName(path)} was rewritten ({UpdateVariable}=1). Review it with git diff, then run again without {UpdateVariable}.");
        }
        if (expected is null)
        {
            throw new XunitException($"No baseline {path}. Run with {UpdateVariable}=1 to write it, then review it.\n--- actual ---\n{actual}");
        }
        throw new XunitException($"Generated code differs from {Path.GetFileName(path)} (- baseline, + actual). If the change is intended, run with {UpdateVariable}=1 and review.\n{Diff(expected, actual)}");
    }

    /// <summary>A unified-style diff with two lines of context (LCS over lines; inputs are small).</summary>
    public static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n');
        string[] b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }
        var lines = new List<(char Op, string Text, int Line)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                lines.Add((' ', a[x], x + 1));
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                lines.Add(('-', a[x], x + 1));
                x++;
            }
            else
            {
                lines.Add(('+', b[y], y + 1));
                y++;
            }
        }
        var text = new StringBuilder();
        int lastPrinted = -1;
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Op == ' ')
            {
                continue;
            }
            int from = Math.Max(lastPrinted + 1, i - 2);
            if (from > lastPrinted + 1)
            {
                text.Append("@@ line ").Append(lines[from].Line).Append('\n');
            }
            int to = Math.Min(lines.Count - 1, i + 2);
            for (int k = from; k <= to; k++)
            {
                if (k > lastPrinted)
                {
                    text.Append(lines[k].Op).Append(' ').Append(lines[k].Text).Append('\n');
                    lastPrinted = k;
                }
            }
        }
        return text.ToString();
    }
}
