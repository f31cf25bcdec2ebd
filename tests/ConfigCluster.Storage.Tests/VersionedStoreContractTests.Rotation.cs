using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Rotation: policies and per-key schedules in the replicated state; a scheduled
// rotation serves one due time once, judged by command timestamps; stale or valueless rotations
// change nothing; hook reports only move the pending notice they name.
public abstract partial class VersionedStoreContractTests
{
    private static CommandResult Rotation(StoreCommands commands, Action<Command> set, string author = StoreCommands.DefaultAuthor)
    {
        var command = commands.NewCommand(author);
        set(command);
        return commands.Apply(command);
    }

    private static RotateSecretOp Rotate(string key, StoredRotationPolicy? policy, long due, long expected, string value) => new()
    {
        Key = StoreCommands.Path(key).ToStoreKey(), Policy = policy?.Policy.Name ?? "", PolicySetUnixMs = policy?.SetUnixMs ?? 0, DueUnixMs = due,
        ExpectedVersion = expected, Generator = new RotationGenerator { Password = new PasswordGenerator { Length = 16, Lower = true } },
        Value = ByteString.CopyFromUtf8(value), Fingerprint = ByteString.CopyFromUtf8("fp-" + value),
    };

    [Fact]
    public async Task RotateSecret_ServesEachDueTimeOnce_RefusesStaleOrValueless_AndKeepsScheduleThroughReopen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        Assert.Equal(ResultCode.ResultOk, commands.PutSealed("db.pw", System.Text.Encoding.UTF8.GetBytes("sealed-1"), 1, secret: true).Code);
        commands.Put("db.plain", "\"plain\"");
        var policyOp = new RotationPolicy
        {
            Name = "db", Key = "db.pw", EveryMs = 2000, HookUrl = "http://127.0.0.1:1/hook",
            Generator = new RotationGenerator { Password = new PasswordGenerator { Length = 16, Lower = true } },
        };
        Assert.Equal(ResultCode.ResultOk, Rotation(commands, c => c.SetRotationPolicy = new SetRotationPolicyOp { Policy = policyOp }).Code);
        var policy = store.FindRotationPolicy("db")!;
        Assert.Equal("default", policy.Policy.Namespace);
        var due = policy.SetUnixMs + 2000;

        // Not yet due at the command's timestamp (one second later): refused, nothing changes.
        Assert.Equal(ResultCode.ResultVersionMismatch, Rotation(commands, c => c.RotateSecret = Rotate("db.pw", policy, due, 1, "sealed-2")).Code);
        // Due now: version 2, authored by the rotating identity, next due one period on.
        var rotated = Rotation(commands, c => c.RotateSecret = Rotate("db.pw", policy, due, 1, "sealed-2"), author: "rotation:db");
        Assert.Equal(ResultCode.ResultOk, rotated.Code);
        Assert.Equal(2, rotated.Version);
        var head = store.Get(StoreCommands.Path("db.pw"))!;
        Assert.Equal("rotation:db", head.Author);
        Assert.True(head.Secret);
        Assert.Equal("sealed-2", StoreCommands.Text(head));
        var state = store.FindRotationState(StoreCommands.Path("db.pw"))!.Record;
        Assert.Equal(due + 2000, state.NextDueUnixMs);
        Assert.Equal(2, state.HookPendingVersion);

        // The same due time again (a second leader, a re-sent proposal): refused, not doubled.
        Assert.Equal(ResultCode.ResultVersionMismatch, Rotation(commands, c => c.RotateSecret = Rotate("db.pw", policy, due, 2, "sealed-3")).Code);
        // Stale expectation, missing value, plain key, wrong policy generation: nothing changes.
        Assert.Equal(ResultCode.ResultRetry, Rotation(commands, c => c.RotateSecret = Rotate("db.pw", policy, 0, 1, "sealed-x")).Code);
        Assert.Equal(ResultCode.ResultInvalid, Rotation(commands, c => c.RotateSecret = Rotate("db.pw", policy, 0, 2, "")).Code);
        Assert.Equal(ResultCode.ResultInvalid, Rotation(commands, c => c.RotateSecret = Rotate("db.plain", null, 0, 1, "sealed-x")).Code);
        Assert.Equal(ResultCode.ResultVersionMismatch, Rotation(commands, c => c.RotateSecret = Rotate("db.pw", policy with { SetUnixMs = 1 }, 0, 2, "sealed-x")).Code);
        Assert.Equal(2, store.Get(StoreCommands.Path("db.pw"))!.Version);

        // Hook reports: only the pending version's notice moves.
        var key = StoreCommands.Path("db.pw").ToStoreKey();
        Assert.Equal(ResultCode.ResultOk, Rotation(commands, c => c.RotationReport = new RotationReportOp { Key = key, Policy = "db", Kind = RotationReportKind.HookFailed, Version = 2, Error = "hook answered HTTP 500" }).Code);
        Assert.Equal(ResultCode.ResultVersionMismatch, Rotation(commands, c => c.RotationReport = new RotationReportOp { Key = key, Policy = "db", Kind = RotationReportKind.HookDelivered, Version = 1 }).Code);
        Assert.Equal(1, store.FindRotationState(StoreCommands.Path("db.pw"))!.Record.HookAttempts);
        Assert.Equal(ResultCode.ResultOk, Rotation(commands, c => c.RotationReport = new RotationReportOp { Key = key, Policy = "db", Kind = RotationReportKind.HookDelivered, Version = 2 }).Code);
        Assert.Equal(ResultCode.ResultOk, Rotation(commands, c => c.RotationReport = new RotationReportOp { Key = key, Policy = "db", Kind = RotationReportKind.RotationFailed, Error = "the leader is sealed" }).Code);

        // A bad policy is refused by apply as by the edge.
        Assert.Equal(ResultCode.ResultInvalid, Rotation(commands, c => c.SetRotationPolicy = new SetRotationPolicyOp { Policy = new RotationPolicy(policyOp) { EveryMs = 10 } }).Code);

        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        Assert.Equal(policy, store.FindRotationPolicy("db"));
        state = store.FindRotationState(StoreCommands.Path("db.pw"))!.Record;
        Assert.Equal((2L, 0L, 1L, "the leader is sealed"), (state.HookDeliveredVersion, state.HookPendingVersion, state.Attempts, state.LastError));
        Assert.Equal(ResultCode.ResultOk, Rotation(new StoreCommands(store), c => c.DeleteRotationPolicy = new DeleteRotationPolicyOp { Name = "db" }).Code);
        Assert.Null(store.FindRotationPolicy("db"));
    }
}
