using ConfigCluster.Core.Commands;

namespace ConfigCluster.Storage.Tests;

/// <summary>
/// What every <see cref="IVersionedStore"/> must do, run against each implementation (one
/// derived class per store). Split by concern: reads and apply here, then listing, recovery,
/// snapshots and digests in the partial files beside it. Each test gets its own temporary
/// directory, removed when the test ends.
/// </summary>
public abstract partial class VersionedStoreContractTests : IDisposable
{
    private readonly List<IVersionedStore> opened = [];
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));

    /// <summary>This test's own directory; every store it opens lives below it.</summary>
    protected string Root { get; } = Path.Combine(Path.GetTempPath(), "cc-store-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Bounds every asynchronous store call of the test.</summary>
    protected CancellationToken Deadline => timeout.Token;

    /// <summary>Opens (or reopens) the implementation under test in <paramref name="directory"/>.</summary>
    protected abstract IVersionedStore OpenStore(string directory);

    protected IVersionedStore Open(string name = "store")
    {
        var store = OpenStore(Path.Combine(Root, name));
        opened.Add(store);
        return store;
    }

    protected void Close(IVersionedStore store)
    {
        opened.Remove(store);
        store.Dispose();
    }

    protected IVersionedStore Reopen(IVersionedStore store, string name = "store")
    {
        Close(store);
        return Open(name);
    }

    public void Dispose()
    {
        try
        {
            foreach (var store in opened)
                store.Dispose();
            opened.Clear();
        }
        finally
        {
            timeout.Dispose();
            if (Directory.Exists(Root))
                Directory.Delete(Root, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Open_FreshDirectory_StartsEmpty()
    {
        var store = Open();

        Assert.Equal(0, store.Revision);
        Assert.Equal(0, store.AppliedIndex);
        Assert.Null(store.RecoveredCheckpoint);
        Assert.Null(store.Get(StoreCommands.Path("any")));
        Assert.Empty(store.History(StoreCommands.Path("any")));
        Assert.Empty(store.List("default", "default", "", null, 10, includeDeleted: true).Items);
    }

    [Fact]
    public void Get_AfterPuts_ReturnsLatestVersion()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("db.host", "\"a\"");
        var second = commands.Put("db.host", "\"b\"");

        var latest = store.Get(StoreCommands.Path("db.host"));

        Assert.Equal(ResultCode.ResultOk, second.Code);
        Assert.NotNull(latest);
        Assert.Equal(2, latest.Version);
        Assert.Equal("\"b\"", StoreCommands.Text(latest));
        Assert.Equal(StoreCommands.Path("db.host"), latest.Path);
    }

    [Fact]
    public void Get_WithVersionNumber_ReturnsThatVersion()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 1; i <= 3; i++)
            commands.Put("k", $"{i}");
        var path = StoreCommands.Path("k");

        for (var v = 1; v <= 3; v++)
        {
            var version = store.Get(path, v);
            Assert.NotNull(version);
            Assert.Equal(v, version.Version);
            Assert.Equal($"{v}", StoreCommands.Text(version));
        }

        Assert.Equal(3, store.Get(path, 0)!.Version);
        Assert.Null(store.Get(path, 4));
    }

    [Fact]
    public void Get_MissingKey_ReturnsNull()
    {
        var store = Open();
        new StoreCommands(store).Put("present", "1");

        Assert.Null(store.Get(StoreCommands.Path("absent")));
        Assert.Null(store.Get(StoreCommands.Path("absent"), 1));
        Assert.Null(store.Get(StoreCommands.Path("present", env: "prod")));
    }

    [Fact]
    public void Get_SameKeyInOtherScopes_ReturnsEachScopesOwnValue()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "\"default\"");
        commands.Put("k", "\"prod\"", env: "prod");
        commands.Put("k", "\"team-b\"", ns: "team-b");
        commands.Put("k", "\"default-2\"");

        Assert.Equal("\"default-2\"", StoreCommands.Text(store.Get(StoreCommands.Path("k"))!));
        Assert.Equal("\"prod\"", StoreCommands.Text(store.Get(StoreCommands.Path("k", env: "prod"))!));
        Assert.Equal("\"team-b\"", StoreCommands.Text(store.Get(StoreCommands.Path("k", ns: "team-b"))!));
        Assert.Equal(1, store.Get(StoreCommands.Path("k", env: "prod"))!.Version);
        Assert.Null(store.Get(StoreCommands.Path("k", env: "prod", ns: "team-b")));
    }
}
