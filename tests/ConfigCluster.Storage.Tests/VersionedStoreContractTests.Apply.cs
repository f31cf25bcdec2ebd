using ConfigCluster.Core.Commands;

namespace ConfigCluster.Storage.Tests;

// Puts, deletes, compare-and-set and rollbacks: what each records and what each refuses.
public abstract partial class VersionedStoreContractTests
{
    [Fact]
    public void Apply_PutsToSeveralKeys_CountsVersionsPerKeyAndRevisionsGlobally()
    {
        var store = Open();
        var commands = new StoreCommands(store);

        var results = new[]
        {
            commands.Put("a", "1"),
            commands.Put("b", "1"),
            commands.Put("a", "2"),
            commands.Put("c", "1"),
            commands.Put("a", "3"),
        };

        Assert.All(results, static r => Assert.Equal(ResultCode.ResultOk, r.Code));
        Assert.Equal([1L, 1, 2, 1, 3], results.Select(static r => r.Version));
        Assert.Equal([1L, 2, 3, 4, 5], results.Select(static r => r.Revision));
        Assert.Equal(5, store.Revision);
        Assert.Equal(5, store.AppliedIndex);
        Assert.Equal(5, store.Get(StoreCommands.Path("a"))!.Revision);
        Assert.Equal(2, store.Get(StoreCommands.Path("b"))!.Revision);
    }

    [Fact]
    public void Apply_Put_RecordsAuthorTimestampAndOperation()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1", author: "svc-deploy");
        commands.Put("k", "2", author: "svc-billing");

        var first = store.Get(StoreCommands.Path("k"), 1)!;
        var second = store.Get(StoreCommands.Path("k"), 2)!;

        Assert.Equal("svc-deploy", first.Author);
        Assert.Equal(StoreCommands.TimeAt(1), first.Timestamp);
        Assert.Equal("svc-billing", second.Author);
        Assert.Equal(StoreCommands.TimeAt(2), second.Timestamp);
        Assert.Equal(VersionKind.Put, second.Operation);
        Assert.Equal(0, second.RolledBackFrom);
        Assert.False(second.Secret);
        Assert.False(second.IsDeletion);
    }

    [Fact]
    public void Apply_Delete_WritesTombstoneVersion()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "\"v\"");

        var deleted = commands.Delete("k");
        var latest = store.Get(StoreCommands.Path("k"))!;

        Assert.Equal(ResultCode.ResultOk, deleted.Code);
        Assert.Equal(2, deleted.Version);
        Assert.Equal(2, deleted.Revision);
        Assert.True(latest.IsDeletion);
        Assert.Equal(VersionKind.Delete, latest.Operation);
        Assert.Equal(2, latest.Version);
        Assert.True(latest.Value.IsEmpty);
        Assert.Equal(StoreCommands.TimeAt(2), latest.Timestamp);
        Assert.Equal("\"v\"", StoreCommands.Text(store.Get(StoreCommands.Path("k"), 1)!));
    }

    [Fact]
    public void Apply_PutAfterDelete_RecreatesKeyWithNextVersion()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Delete("k");

        var recreated = commands.Put("k", "2");

        Assert.Equal(ResultCode.ResultOk, recreated.Code);
        Assert.Equal(3, recreated.Version);
        Assert.False(store.Get(StoreCommands.Path("k"))!.IsDeletion);
    }

    [Fact]
    public void Apply_DeleteMissingKey_ReturnsNotFoundAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("gone", "1");
        commands.Delete("gone");
        var revision = store.Revision;
        var digest = store.ComputeDigest();

        var never = commands.Delete("never");
        var again = commands.Delete("gone");

        Assert.Equal(ResultCode.ResultNotFound, never.Code);
        Assert.Equal(ResultCode.ResultNotFound, again.Code);
        Assert.Equal(revision, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Null(store.Get(StoreCommands.Path("never")));
        Assert.Equal(2, store.History(StoreCommands.Path("gone")).Count);
    }

    [Fact]
    public void Apply_PutWithCurrentExpectedVersion_Succeeds()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Put("k", "2");

        var result = commands.Put("k", "3", expected: 2);

        Assert.Equal(ResultCode.ResultOk, result.Code);
        Assert.Equal(3, result.Version);
        Assert.Equal("3", StoreCommands.Text(store.Get(StoreCommands.Path("k"))!));
    }

    [Fact]
    public void Apply_WriteWithStaleExpectedVersion_ReturnsMismatchAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Put("k", "2");
        var revision = store.Revision;
        var digest = store.ComputeDigest();

        var put = commands.Put("k", "3", expected: 1);
        var delete = commands.Delete("k", expected: 1);

        Assert.Equal(ResultCode.ResultVersionMismatch, put.Code);
        Assert.Equal(2, put.CurrentVersion);
        Assert.Equal(ResultCode.ResultVersionMismatch, delete.Code);
        Assert.Equal(2, delete.CurrentVersion);
        Assert.Equal(revision, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Equal("2", StoreCommands.Text(store.Get(StoreCommands.Path("k"))!));
    }

    [Fact]
    public void Apply_PutExpectingVersionZero_CreatesOnlyWhenAbsent()
    {
        var store = Open();
        var commands = new StoreCommands(store);

        var created = commands.Put("k", "1", expected: 0);
        var refused = commands.Put("k", "2", expected: 0);
        commands.Delete("k");
        var recreated = commands.Put("k", "3", expected: 0);

        Assert.Equal(ResultCode.ResultOk, created.Code);
        Assert.Equal(ResultCode.ResultVersionMismatch, refused.Code);
        Assert.Equal(1, refused.CurrentVersion);
        Assert.Equal(ResultCode.ResultOk, recreated.Code);
        Assert.Equal(3, recreated.Version);
        Assert.Equal(["1", "", "3"], store.History(StoreCommands.Path("k")).Select(StoreCommands.Text));
    }

    [Fact]
    public void Apply_RollbackToEarlierVersion_CreatesNewVersionWithThatValue()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "\"one\"");
        commands.Put("k", "\"two\"");

        var rolled = commands.Rollback("k", 1);
        var latest = store.Get(StoreCommands.Path("k"))!;

        Assert.Equal(ResultCode.ResultOk, rolled.Code);
        Assert.Equal(3, rolled.Version);
        Assert.Equal(3, rolled.Revision);
        Assert.Equal(3, latest.Version);
        Assert.Equal(VersionKind.Rollback, latest.Operation);
        Assert.Equal(1, latest.RolledBackFrom);
        Assert.Equal("\"one\"", StoreCommands.Text(latest));
        Assert.Equal(StoreCommands.TimeAt(3), latest.Timestamp);
        Assert.Equal("\"two\"", StoreCommands.Text(store.Get(StoreCommands.Path("k"), 2)!));
    }

    [Fact]
    public void Apply_RollbackOfDeletedKey_RestoresTheOldValue()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "\"one\"");
        commands.Delete("k");

        var rolled = commands.Rollback("k", 1);

        Assert.Equal(ResultCode.ResultOk, rolled.Code);
        Assert.False(store.Get(StoreCommands.Path("k"))!.IsDeletion);
        Assert.Equal("\"one\"", StoreCommands.Text(store.Get(StoreCommands.Path("k"))!));
        Assert.Single(store.List("default", "default", "", null, 10, includeDeleted: false).Items);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(99)]
    public void Apply_RollbackToMissingVersion_ReturnsVersionNotFoundAndChangesNothing(long toVersion)
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Put("k", "2");
        var digest = store.ComputeDigest();

        var result = commands.Rollback("k", toVersion);

        Assert.Equal(ResultCode.ResultVersionNotFound, result.Code);
        Assert.Equal(2, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
    }

    [Fact]
    public void Apply_RollbackOfMissingKey_ReturnsNotFound()
    {
        var store = Open();
        var commands = new StoreCommands(store);

        Assert.Equal(ResultCode.ResultNotFound, commands.Rollback("nope", 1).Code);
        Assert.Equal(0, store.Revision);
    }

    [Fact]
    public void Apply_RollbackToDeletionVersion_ReturnsInvalidAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Delete("k");
        commands.Put("k", "3");
        var digest = store.ComputeDigest();

        var result = commands.Rollback("k", 2);

        Assert.Equal(ResultCode.ResultInvalid, result.Code);
        Assert.Equal(3, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
    }

    [Fact]
    public void History_SeveralVersions_ReturnsOldestFirst()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Put("other", "x");
        commands.Put("k", "2");
        commands.Delete("k");
        commands.Rollback("k", 2);

        var history = store.History(StoreCommands.Path("k"));

        Assert.Equal([1L, 2, 3, 4], history.Select(static v => v.Version));
        Assert.Equal([VersionKind.Put, VersionKind.Put, VersionKind.Delete, VersionKind.Rollback], history.Select(static v => v.Operation));
        Assert.Equal([1L, 3, 4, 5], history.Select(static v => v.Revision));
        Assert.Equal("2", StoreCommands.Text(history[^1]));
        Assert.Empty(store.History(StoreCommands.Path("never")));
    }
}
