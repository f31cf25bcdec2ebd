using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Core.Tests;

public sealed class KeyPathTests
{
    [Theory]
    [InlineData("database.host")]
    [InlineData("a")]
    [InlineData("A_b-9.c")]
    [InlineData("UPPER.Case")]
    [InlineData("1.2.3")]
    [InlineData("-_-")]
    [InlineData("secret/llm/openai/api_key")]
    [InlineData("config/database.host")]
    public void TryCreate_GoodKey_Succeeds(string key)
    {
        Assert.True(KeyPath.TryCreate("team-a", "prod_eu", key, out var path, out var error));
        Assert.Null(error);
        Assert.Equal("team-a", path.Namespace);
        Assert.Equal("prod_eu", path.Environment);
        Assert.Equal(key, path.Key);
    }

    [Fact]
    public void TryCreate_KeyOfMaxLength_Succeeds()
    {
        Assert.True(KeyPath.TryCreate(null, null, new string('a', KeyPath.MaxKeyLength), out _, out _));
    }

    [Fact]
    public void TryCreate_KeyLongerThanMax_Fails()
    {
        Assert.False(KeyPath.TryCreate(null, null, new string('a', KeyPath.MaxKeyLength + 1), out _, out var error));
        Assert.Contains("longer", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void TryCreate_EmptyKey_Fails(string? key)
    {
        Assert.False(KeyPath.TryCreate(null, null, key, out var path, out var error));
        Assert.Contains("empty", error, StringComparison.Ordinal);
        Assert.Equal(default, path);
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".a")]
    [InlineData(".a.b")]
    [InlineData("a.")]
    [InlineData("a.b.")]
    [InlineData("a//b")]
    [InlineData("a/.b")]
    [InlineData("/a")]
    [InlineData("a/")]
    [InlineData("/")]
    public void TryCreate_EmptySegment_Fails(string key)
    {
        Assert.False(KeyPath.TryCreate(null, null, key, out _, out var error));
        Assert.Contains("empty segment", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("a\\b")]
    [InlineData("a*")]
    [InlineData("a:b")]
    [InlineData("a$")]
    [InlineData("caf\u00e9")]
    [InlineData("a\0b")]
    [InlineData("a\tb")]
    public void TryCreate_BadCharacter_Fails(string key)
    {
        Assert.False(KeyPath.TryCreate(null, null, key, out _, out var error));
        Assert.Contains("may contain only", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Team", "default")]
    [InlineData("TEAM", "default")]
    [InlineData("default", "Prod")]
    [InlineData("team.a", "default")]
    [InlineData("default", "prod env")]
    [InlineData("default", "prod/eu")]
    public void TryCreate_BadNamespaceOrEnvironment_Fails(string ns, string env)
    {
        Assert.False(KeyPath.TryCreate(ns, env, "k", out _, out var error));
        Assert.Contains("lowercase", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_ScopeLongerThanMax_Fails()
    {
        var longest = new string('n', KeyPath.MaxScopeLength);
        Assert.True(KeyPath.TryCreate(longest, longest, "k", out _, out _));
        Assert.False(KeyPath.TryCreate(longest + "n", null, "k", out _, out _));
        Assert.False(KeyPath.TryCreate(null, longest + "n", "k", out _, out _));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void TryCreate_NoNamespaceOrEnvironment_DefaultsToDefault(string? ns, string? env)
    {
        Assert.True(KeyPath.TryCreate(ns, env, "k", out var path, out _));
        Assert.Equal(KeyPath.DefaultScope, path.Namespace);
        Assert.Equal(KeyPath.DefaultScope, path.Environment);
        Assert.Equal("default", KeyPath.DefaultScope);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("db")]
    [InlineData("db.")]
    [InlineData("db/")]
    [InlineData("app/db.")]
    public void TryValidatePrefix_GoodPrefix_Succeeds(string? prefix)
    {
        Assert.True(KeyPath.TryValidatePrefix(prefix, out _));
    }

    [Theory]
    [InlineData("d b")]
    [InlineData("*")]
    public void TryValidatePrefix_BadCharacter_Fails(string prefix)
    {
        Assert.False(KeyPath.TryValidatePrefix(prefix, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".db")]
    [InlineData("db..x")]
    public void TryValidatePrefix_EmptySegment_Fails(string prefix)
    {
        Assert.False(KeyPath.TryValidatePrefix(prefix, out var error));
        Assert.Contains("empty segment", error);
    }

    [Fact]
    public void TryValidatePrefix_LongerThanMax_Fails()
    {
        Assert.False(KeyPath.TryValidatePrefix(new string('a', KeyPath.MaxKeyLength + 1), out _));
    }

    [Fact]
    public void TryFrom_StoreKeyOfValidPath_RoundTrips()
    {
        Assert.True(KeyPath.TryCreate("team", "prod", "db.host", out var path, out _));

        Assert.True(KeyPath.TryFrom(path.ToStoreKey(), out var back, out _));
        Assert.Equal(path, back);
        Assert.Equal("team/prod/db.host", back.ToString());
    }

    [Fact]
    public void TryFrom_MissingOrInvalidStoreKey_Fails()
    {
        Assert.False(KeyPath.TryFrom(null, out _, out var missing));
        Assert.Equal("command has no key", missing);
        Assert.False(KeyPath.TryFrom(new StoreKey { Namespace = "default", Environment = "default", Key = "a..b" }, out _, out _));
        Assert.False(KeyPath.TryFrom(new StoreKey { Namespace = "Bad", Key = "a" }, out _, out _));
    }

    [Fact]
    public void TryFrom_StoreKeyWithoutScopes_DefaultsToDefault()
    {
        Assert.True(KeyPath.TryFrom(new StoreKey { Key = "a" }, out var path, out _));
        Assert.Equal("default/default/a", path.ToString());
    }
}
