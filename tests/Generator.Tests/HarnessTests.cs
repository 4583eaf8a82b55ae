using System;
using System.IO;
using Xunit;
using Xunit.Sdk;

namespace OtelGen.Generator.Tests;

public class HarnessTests
{
    [Fact]
    public void A_baseline_mismatch_fails_with_a_line_diff_and_context()
    {
        string path = Path.Combine(Path.GetTempPath(), "otelgen-baseline-" + Guid.NewGuid().ToString("N") + ".g.cs");
        File.WriteAllText(path, "a\nb\nc\nd\ne\n");
        try
        {
            if (Environment.GetEnvironmentVariable(Baseline.UpdateVariable) == "1")
            {
                return; // in update mode a mismatch rewrites instead of diffing
            }
            var failure = Assert.Throws<XunitException>(() => Baseline.Match(path, "a\nb\nC\nd\ne\n"));
            Assert.Contains("- c\n+ C\n", failure.Message);
            Assert.Contains("  b\n", failure.Message);
            Assert.Contains(Baseline.UpdateVariable + "=1", failure.Message);
            Baseline.Match(path, "a\r\nb\r\nc\r\nd\r\ne\r\n"); // line endings do not matter
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("*Repository", "UserRepository", true)]
    [InlineData("*Repository", "Repository", true)]
    [InlineData("*Repository", "RepositoryHelper", false)]
    [InlineData("Cache*", "CacheWarmer", true)]
    [InlineData("*Serv*ce", "OrderService", true)]
    [InlineData("Exact", "Exact", true)]
    [InlineData("Exact", "Exactly", false)]
    public void Type_name_patterns_match_with_stars(string pattern, string name, bool matches) =>
        Assert.Equal(matches, Parser.Wildcard(pattern, name));
}
