namespace ConfigCluster.Storage.Tests;

// Prefix listing: order, paging, deleted keys and scope isolation.
public abstract partial class VersionedStoreContractTests
{
    private static List<ListPage> ListAllPages(IVersionedStore store, string ns, string env, string prefix, int limit, bool includeDeleted = false)
    {
        var pages = new List<ListPage>();
        string? after = null;
        do
        {
            var page = store.List(ns, env, prefix, after, limit, includeDeleted);
            pages.Add(page);
            Assert.True(pages.Count <= 1000, "paging does not terminate");
            after = page.NextAfter;
        }
        while (after is not null);

        return pages;
    }

    [Fact]
    public void List_Prefix_ReturnsMatchingKeysInOrdinalOrder()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        foreach (var key in new[] { "dbx", "db.port", "cache.ttl", "db", "db.host", "d", "DB.upper", "db.host.replica" })
            commands.Put(key, "1");

        var dotted = store.List("default", "default", "db.", null, 100, includeDeleted: false);
        var bare = store.List("default", "default", "db", null, 100, includeDeleted: false);
        var all = store.List("default", "default", "", null, 100, includeDeleted: false);

        Assert.Equal(["db.host", "db.host.replica", "db.port"], dotted.Items.Select(static v => v.Path.Key));
        Assert.Equal(["db", "db.host", "db.host.replica", "db.port", "dbx"], bare.Items.Select(static v => v.Path.Key));
        Assert.Equal(["DB.upper", "cache.ttl", "d", "db", "db.host", "db.host.replica", "db.port", "dbx"], all.Items.Select(static v => v.Path.Key));
        Assert.Null(dotted.NextAfter);
        Assert.Null(all.NextAfter);
    }

    [Fact]
    public void List_ReturnsLatestVersionOfEachKey()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("a", "1");
        commands.Put("a", "2");
        commands.Put("b", "1");

        var items = store.List("default", "default", "", null, 10, includeDeleted: false).Items;

        Assert.Equal([2L, 1], items.Select(static v => v.Version));
        Assert.Equal("2", StoreCommands.Text(items[0]));
    }

    [Fact]
    public void List_DeletedKey_IsSkippedUnlessIncludeDeleted()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("a", "1");
        commands.Put("b", "1");
        commands.Put("c", "1");
        commands.Delete("b");

        var live = store.List("default", "default", "", null, 10, includeDeleted: false);
        var withDeleted = store.List("default", "default", "", null, 10, includeDeleted: true);

        Assert.Equal(["a", "c"], live.Items.Select(static v => v.Path.Key));
        Assert.Equal(["a", "b", "c"], withDeleted.Items.Select(static v => v.Path.Key));
        Assert.True(withDeleted.Items[1].IsDeletion);
    }

    [Fact]
    public void List_ManyKeysInPagesOfSeven_ReturnsEveryKeyOnceInOrder()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        // Written out of order, with neighbours outside the prefix on both sides.
        foreach (var i in Enumerable.Range(0, 25).OrderBy(static i => (i * 11) % 25))
            commands.Put($"app.k{i:D2}", "1");
        commands.Put("ap", "1");
        commands.Put("app", "1");
        commands.Put("apq.k00", "1");

        var pages = ListAllPages(store, "default", "default", "app.", limit: 7);
        var keys = pages.SelectMany(static p => p.Items).Select(static v => v.Path.Key).ToList();

        Assert.Equal([7, 7, 7, 4], pages.Select(static p => p.Items.Count));
        Assert.Equal(Enumerable.Range(0, 25).Select(static i => $"app.k{i:D2}"), keys);
        Assert.All(pages.SkipLast(1), static p => Assert.Equal(p.Items[^1].Path.Key, p.NextAfter));
    }

    [Fact]
    public void List_PagesOverDeletedKeys_HaveNoGapsOrDuplicates()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 0; i < 40; i++)
            commands.Put($"k{i:D2}", "1");
        var deleted = Enumerable.Range(0, 40).Where(static i => i % 3 == 0 || i is >= 14 and < 22).ToHashSet();
        foreach (var i in deleted)
            commands.Delete($"k{i:D2}");
        var expected = Enumerable.Range(0, 40).Where(i => !deleted.Contains(i)).Select(static i => $"k{i:D2}").ToList();

        var live = ListAllPages(store, "default", "default", "k", limit: 7).SelectMany(static p => p.Items).Select(static v => v.Path.Key).ToList();
        var all = ListAllPages(store, "default", "default", "k", limit: 7, includeDeleted: true).SelectMany(static p => p.Items).Select(static v => v.Path.Key).ToList();

        Assert.Equal(expected, live);
        Assert.Equal(Enumerable.Range(0, 40).Select(static i => $"k{i:D2}"), all);
    }

    [Fact]
    public void List_LastPageExactlyFull_HasNoNextAfter()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 0; i < 14; i++)
            commands.Put($"k{i:D2}", "1");

        var first = store.List("default", "default", "", null, 7, includeDeleted: false);
        var second = store.List("default", "default", "", first.NextAfter, 7, includeDeleted: false);

        Assert.Equal("k06", first.NextAfter);
        Assert.Equal(7, second.Items.Count);
        Assert.Equal("k07", second.Items[0].Path.Key);
        Assert.Null(second.NextAfter);
    }

    [Fact]
    public void List_AfterKeyThatDoesNotExist_StartsAfterIt()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        foreach (var key in new[] { "a", "c", "e" })
            commands.Put(key, "1");

        var page = store.List("default", "default", "", "b", 10, includeDeleted: false);

        Assert.Equal(["c", "e"], page.Items.Select(static v => v.Path.Key));
    }

    [Fact]
    public void List_OtherNamespacesAndEnvironments_AreIsolated()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k.default", "1");
        commands.Put("k.prod", "1", env: "prod");
        commands.Put("k.prod2", "1", env: "prod2");
        commands.Put("k.team", "1", ns: "team");
        commands.Put("k.team-b", "1", ns: "team-b");
        commands.Put("k.team-prod", "1", env: "prod", ns: "team");

        string[] Keys(string ns, string env) => [.. store.List(ns, env, "", null, 100, includeDeleted: true).Items.Select(static v => v.Path.Key)];

        Assert.Equal(["k.default"], Keys("default", "default"));
        Assert.Equal(["k.prod"], Keys("default", "prod"));
        Assert.Equal(["k.prod2"], Keys("default", "prod2"));
        Assert.Equal(["k.team"], Keys("team", "default"));
        Assert.Equal(["k.team-b"], Keys("team-b", "default"));
        Assert.Equal(["k.team-prod"], Keys("team", "prod"));
        Assert.Empty(Keys("nobody", "default"));
    }
}
