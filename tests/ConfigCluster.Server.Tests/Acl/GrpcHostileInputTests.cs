using System.Net;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;

namespace ConfigCluster.Server.Tests.Acl;

/// <summary>
/// The gRPC counterpart of <see cref="HostileInputTests"/>: bad keys, scopes, versions and items
/// end with a client-error status and a message (never Internal or Unknown), and change nothing.
/// </summary>
[Collection(AccessClusterCollection.Name)]
public sealed class GrpcHostileInputTests(AccessCluster fixture)
{
    private static readonly string LongKey = new('k', 5000);
    private static readonly string[] BadKeys = ["..", "a..b", ".lead", "trail.", "bad key", "nul\0byte", "../etc", LongKey];

    private static IEnumerable<(string What, Func<ChannelBaseHolder, Task> Call)> Cases()
    {
        foreach (var key in BadKeys)
        {
            var path = new KeyPath { Key = key };
            var name = key.Length > 20 ? $"{key.Length}-char key" : key.Replace("\0", "\\0", StringComparison.Ordinal);
            yield return ($"KV.Get {name}", c => c.Kv.GetAsync(new GetRequest { Path = path }).ResponseAsync);
            yield return ($"KV.Put {name}", c => c.Kv.PutAsync(new PutRequest { Path = path, ValueJson = "1" }).ResponseAsync);
            yield return ($"KV.Delete {name}", c => c.Kv.DeleteAsync(new DeleteRequest { Path = path }).ResponseAsync);
            yield return ($"KV.History {name}", c => c.Kv.HistoryAsync(new HistoryRequest { Path = path }).ResponseAsync);
            yield return ($"KV.Rollback {name}", c => c.Kv.RollbackAsync(new RollbackRequest { Path = path, ToVersion = 1 }).ResponseAsync);
            yield return ($"Environments.ApplyChangeSet {name}", c => c.Environments.ApplyChangeSetAsync(new ChangeSetRequest { Items = { new ChangeSetItem { Path = path, ValueJson = "1" } } }).ResponseAsync);
            yield return ($"Watch.Watch {name}", async c =>
            {
                using var call = c.Watch.Watch(new WatchRequest { Key = key });
                await call.ResponseStream.MoveNext();
            });
            yield return ($"Watch.WatchMany {name}", c => WatchManyAsync(c, new WatchRequest { Key = key }));
        }

        foreach (var scope in new[] { "..", "nul\0scope", "bad scope", LongKey })
        {
            var path = new KeyPath { Namespace = scope, Key = "ghx.k" };
            yield return ($"KV.Put ns={scope.Length}", c => c.Kv.PutAsync(new PutRequest { Path = path, ValueJson = "1" }).ResponseAsync);
            yield return ($"KV.List env={scope.Length}", c => c.Kv.ListAsync(new ListRequest { Environment = scope }).ResponseAsync);
            yield return ($"Environments.SetEnvironment {scope.Length}", c => c.Environments.SetEnvironmentAsync(new SetEnvironmentRequest { Environment = scope, Inherits = "default" }).ResponseAsync);
            yield return ($"Environments.Promote to={scope.Length}", c => c.Environments.PromoteAsync(new PromoteRequest { From = "default", To = scope }).ResponseAsync);
            yield return ($"Environments.Diff from={scope.Length}", c => c.Environments.DiffAsync(new DiffRequest { From = scope, To = "default" }).ResponseAsync);
            yield return ($"Admin.SetRetention ns={scope.Length}", c => c.Admin.SetRetentionAsync(new Retention { Namespace = scope, MaxVersions = 1 }).ResponseAsync);
        }

        yield return ("Watch.WatchMany prefix=..", c => WatchManyAsync(c, new WatchRequest { Prefix = ".." }));
        yield return ("Watch.WatchMany key and prefix", c => WatchManyAsync(c, new WatchRequest { Key = "ghx.k", Prefix = "ghx." }));
        yield return ("Watch.WatchMany start_revision=-1", c => WatchManyAsync(c, new WatchRequest { Key = "ghx.k", StartRevision = -1 }));
        yield return ("Watch.WatchMany env=..", c => WatchManyAsync(c, new WatchRequest { Environment = "..", Key = "ghx.k" }));
        yield return ("KV.Get version=-1", c => c.Kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "ghx.k" }, Version = -1 }).ResponseAsync);
        yield return ("KV.Put expected=-1", c => c.Kv.PutAsync(new PutRequest { Path = new KeyPath { Key = "ghx.k" }, ValueJson = "1", ExpectedVersion = -1 }).ResponseAsync);
        yield return ("KV.Put bad JSON", c => c.Kv.PutAsync(new PutRequest { Path = new KeyPath { Key = "ghx.k" }, ValueJson = "{not json" }).ResponseAsync);
        yield return ("KV.Put empty JSON", c => c.Kv.PutAsync(new PutRequest { Path = new KeyPath { Key = "ghx.k" } }).ResponseAsync);
        yield return ("KV.Rollback to=-1", c => c.Kv.RollbackAsync(new RollbackRequest { Path = new KeyPath { Key = "ghx.k" }, ToVersion = -1 }).ResponseAsync);
        yield return ("KV.List limit=-1", c => c.Kv.ListAsync(new ListRequest { Limit = -1 }).ResponseAsync);
        yield return ("KV.List prefix=..", c => c.Kv.ListAsync(new ListRequest { Prefix = ".." }).ResponseAsync);
        yield return ("Environments.SetEnvironment cycle", c => c.Environments.SetEnvironmentAsync(new SetEnvironmentRequest { Environment = "ghx-b", Inherits = "ghx-a" }).ResponseAsync);
        yield return ("Environments.ApplyChangeSet bad JSON", c => c.Environments.ApplyChangeSetAsync(new ChangeSetRequest { Items = { new ChangeSetItem { Path = new KeyPath { Key = "ghx.k" }, ValueJson = "{" } } }).ResponseAsync);
        yield return ("Environments.ApplyChangeSet expected=-1", c => c.Environments.ApplyChangeSetAsync(new ChangeSetRequest { Items = { new ChangeSetItem { Path = new KeyPath { Key = "ghx.k" }, ValueJson = "1", ExpectedVersion = -1 } } }).ResponseAsync);
        yield return ("Environments.Promote keys=..", c => c.Environments.PromoteAsync(new PromoteRequest { From = "default", To = "ghx-a", Keys = { ".." } }).ResponseAsync);
        yield return ("Admin.SetRetention max=-1", c => c.Admin.SetRetentionAsync(new Retention { Namespace = "ghx", MaxVersions = -1 }).ResponseAsync);
        yield return ("Acl.CreateToken NUL name", c => c.Acl.CreateTokenAsync(new CreateTokenRequest { Name = "nul\0name" }).ResponseAsync);
        yield return ("Acl.PutPolicy unknown capability", c => c.Acl.PutPolicyAsync(new PutPolicyRequest { Name = "ghx", Rules = { new PolicyRuleSpec { Path = "x.*", Capabilities = { "fly" } } } }).ResponseAsync);
        yield return ("Admin.RemoveMember unknown", c => c.Admin.RemoveMemberAsync(new RemoveMemberRequest { NodeId = "nosuchnode" }).ResponseAsync);
        yield return ("Admin.AddMember bad endpoint", c => c.Admin.AddMemberAsync(new AddMemberRequest { Raft = "not an endpoint" }).ResponseAsync);
    }

    [Fact]
    public async Task HostileInput_OnEveryMethod_GetsAClientErrorWithAMessage_AndWritesNothing()
    {
        var leader = fixture.Cluster[await fixture.Cluster.WaitForLeaderAsync(TestCluster.StartTimeout)];
        var follower = fixture.Cluster.Nodes.First(n => n != leader);
        Assert.Equal(HttpStatusCode.OK, (await follower.Http.SendAsync(HttpMethod.Put, "/environments/ghx-a", "{\"inherits\": \"ghx-b\"}")).Status);
        await follower.Http.MustPutAsync("ghx.k", 1);
        var clients = new ChannelBaseHolder(follower.Grpc);

        var failures = new List<string>();
        var count = 0;
        foreach (var (what, call) in Cases())
        {
            var before = await RevisionAsync(leader);
            try
            {
                await call(clients);
                failures.Add($"{what}: succeeded");
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.ResourceExhausted)
            {
                if (string.IsNullOrWhiteSpace(e.Status.Detail))
                    failures.Add($"{what}: {e.StatusCode} without a message");
            }
            catch (RpcException e)
            {
                failures.Add($"{what}: {e.StatusCode} {e.Status.Detail}");
            }

            if (await RevisionAsync(leader) != before)
                failures.Add($"{what}: the revision moved from {before}");
            count++;
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} hostile calls misbehaved:\n" + string.Join('\n', failures));
    }

    // A WatchMany stream with one create: its per-watch error is thrown as the status it names (the
    // stream itself stays open); created, or any other answer, returns (the case then "succeeded").
    private static async Task WatchManyAsync(ChannelBaseHolder c, WatchRequest watch)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = c.Watch.WatchMany(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new WatchManyRequest { Create = new WatchCreateRequest { WatchId = 7, Watch = watch } }, cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token), "the stream ended without answering the create");
        var response = call.ResponseStream.Current;
        Assert.Equal(7, response.WatchId);
        if (response.Error is { } error)
            throw new RpcException(new Status((StatusCode)error.Code, error.Message));
        await call.RequestStream.CompleteAsync();
    }

    private static async Task<long> RevisionAsync(NodeProcess node)
        => (await TestCluster.StatusAsync(node))["revision"]!.GetValue<long>();

    /// <summary>The admin clients of one node.</summary>
    internal sealed class ChannelBaseHolder(ChannelBase channel)
    {
        public KV.KVClient Kv { get; } = new(channel);

        public Watch.WatchClient Watch { get; } = new(channel);

        public Environments.EnvironmentsClient Environments { get; } = new(channel);

        public Contracts.V1.Acl.AclClient Acl { get; } = new(channel);

        public Admin.AdminClient Admin { get; } = new(channel);
    }
}
