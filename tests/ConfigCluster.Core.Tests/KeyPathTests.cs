using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Core.Tests;

public sealed class KeyPathTests
{
    [Theory]
    [InlineData("database.host")]
    [InlineData("a")]
    [InlineData("A_b-9.c")]
    public void TryCreate_GoodKeys_Succeed(string key)
    {
        Assert.True(KeyPath.TryCreate(null, "", key, out var path, out _));
        Assert.Equal("default", path.Namespace);
        Assert.Equal("default", path.Environment);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("a/b")]
    public void TryCreate_BadKeys_FailWithAReason(string key)
    {
        Assert.False(KeyPath.TryCreate(null, null, key, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryCreate_BadScopesAndLongKeys_Fail()
    {
        Assert.False(KeyPath.TryCreate("Team", null, "a", out _, out _));
        Assert.False(KeyPath.TryCreate(null, "prod env", "a", out _, out _));
        Assert.False(KeyPath.TryCreate(null, null, new string('a', KeyPath.MaxKeyLength + 1), out _, out _));
    }

    [Fact]
    public void CommandCodec_RoundTrips_AndRejectsGarbage()
    {
        var command = new Command { Author = "x", RequestId = "r", Put = new PutOp { Key = new StoreKey { Key = "k" } } };
        Assert.Equal(command, CommandCodec.Decode(CommandCodec.Encode(command)));
        Assert.Throws<InvalidDataException>(() => CommandCodec.Decode([]));
        Assert.Throws<InvalidDataException>(() => CommandCodec.Decode([9, 1, 2]));
        Assert.Throws<InvalidDataException>(() => CommandCodec.Decode([CommandCodec.FormatVersion, 0xFF, 0xFF, 0xFF]));
    }
}
