namespace ConfigCluster.Storage.Tests;

// The digest compares replicas: equal histories hash equal, any difference shows.
public abstract partial class VersionedStoreContractTests
{
    private static void ApplySameHistory(StoreCommands commands)
    {
        commands.Put("db.host", "\"a\"");
        commands.Put("db.port", "5432", env: "prod");
        commands.Put("db.host", "\"b\"", expected: 1);
        commands.Put("x", "1", ns: "team-b");
        commands.Delete("db.port", env: "prod");
        commands.Rollback("db.host", 1);
        commands.Delete("missing");
    }

    [Fact]
    public void ComputeDigest_SameCommands_AreEqual()
    {
        var a = Open("a");
        var b = Open("b");

        ApplySameHistory(new StoreCommands(a));
        ApplySameHistory(new StoreCommands(b));

        Assert.Equal(a.ComputeDigest(), b.ComputeDigest());
        Assert.Matches("^[0-9a-f]{64}$", a.ComputeDigest());
    }

    [Theory]
    [InlineData("value")]
    [InlineData("author")]
    [InlineData("key")]
    [InlineData("environment")]
    [InlineData("extra-version")]
    public void ComputeDigest_DifferentContents_Differ(string difference)
    {
        var a = Open("a");
        var b = Open("b");
        var ca = new StoreCommands(a);
        var cb = new StoreCommands(b);
        ApplySameHistory(ca);
        ApplySameHistory(cb);

        ca.Put("last", "1");
        switch (difference)
        {
            case "value":
                cb.Put("last", "2");
                break;
            case "author":
                cb.Put("last", "1", author: "someone-else");
                break;
            case "key":
                cb.Put("last2", "1");
                break;
            case "environment":
                cb.Put("last", "1", env: "prod");
                break;
            default:
                cb.Put("last", "1");
                cb.Put("last", "1");
                break;
        }

        Assert.NotEqual(a.ComputeDigest(), b.ComputeDigest());
    }

    [Fact]
    public void ComputeDigest_ReadOnly_DoesNotChange()
    {
        var store = Open();
        ApplySameHistory(new StoreCommands(store));

        var first = store.ComputeDigest();
        store.Get(StoreCommands.Path("db.host"));
        store.List("default", "default", "", null, 10, includeDeleted: true);

        Assert.Equal(first, store.ComputeDigest());
    }
}
