using Xunit;

namespace OtelGen.Generator.Tests;

public class WildcardTests
{
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
