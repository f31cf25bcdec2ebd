using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Contracts.Audit;
using ConfigCluster.Contracts.Internal.V1;
using ConfigCluster.Contracts.Peer;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Tests.Harness;
using Google.Protobuf;
using Grpc.Core;

namespace ConfigCluster.Server.Tests;

/// <summary>The internal Peer service driven directly with crafted calls: only current, first-seen calls signed with this cluster's secret are proposed.</summary>
public sealed class PeerCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // A forwarded write exactly as a follower builds it, signed for the term and commit index the leader reports.
    private static async Task<(ProposeRequest Request, Metadata Headers)> SignedPutAsync(NodeProcess leader, byte[] clusterSecret, string key)
    {
        var status = await TestCluster.StatusAsync(leader);
        var command = new Command
        {
            RequestId = Guid.NewGuid().ToString("N"),
            TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Author = "root",
            Put = new PutOp { Key = new StoreKey { Namespace = "default", Environment = "default", Key = key }, Value = ByteString.CopyFromUtf8("\"captured\"") },
        };
        var payload = CommandCodec.Encode(command);
        var stamp = PeerStamp.New(status["term"]!.GetValue<long>(), status["commitIndex"]!.GetValue<long>());
        var signature = PeerSignature.Sign(ClusterKeys.Derive(clusterSecret, ClusterKeys.PeerPurpose), stamp, payload);
        var headers = new Metadata { { PeerSignature.StampHeader, stamp.ToString() }, { PeerSignature.SignatureHeader, signature } };
        return (new ProposeRequest { Command = ByteString.CopyFrom(payload) }, headers);
    }

    [Fact]
    public async Task Propose_CapturedForwardReplayed_IsRefused()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var (request, headers) = await SignedPutAsync(cluster[leader], Convert.FromBase64String(NodeProcess.ClusterSecret), "peer.replayed");
        var peer = new Peer.PeerClient(cluster[leader].Grpc);

        await peer.ProposeAsync(request, headers);
        var replay = await Assert.ThrowsAsync<RpcException>(async () => await peer.ProposeAsync(request, headers));
        Assert.Equal(StatusCode.AlreadyExists, replay.StatusCode);

        // Later, under another leader (another term), the captured call is still refused.
        await cluster.KillNodeAsync(leader);
        var next = await cluster.WaitForLeaderAsync(Timeout);
        var late = await Assert.ThrowsAsync<RpcException>(async () => await new Peer.PeerClient(cluster[next].Grpc).ProposeAsync(request, headers));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);

        var (status, body) = await cluster[next].Http.GetJsonAsync("/config/peer.replayed");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ProposeBatch_CapturedBatchReplayed_IsRefused_AndAppliedOnce()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var (single, _) = await SignedPutAsync(cluster[leader], Convert.FromBase64String(NodeProcess.ClusterSecret), "peer.batch");
        var status = await TestCluster.StatusAsync(cluster[leader]);
        var notAfter = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds();
        var batch = new ProposeBatchRequest { NotAfterUnixMs = notAfter, Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)) };
        batch.Commands.Add(new ForwardedCommand { Command = single.Command, NotAfterUnixMs = notAfter });
        var stamp = PeerStamp.New(status["term"]!.GetValue<long>(), status["commitIndex"]!.GetValue<long>());
        var key = ClusterKeys.Derive(Convert.FromBase64String(NodeProcess.ClusterSecret), ClusterKeys.PeerPurpose);
        var headers = new Metadata { { PeerSignature.StampHeader, stamp.ToString() }, { PeerSignature.SignatureHeader, PeerSignature.Sign(key, stamp, batch.ToByteArray()) } };
        var peer = new Peer.PeerClient(cluster[leader].Grpc);

        var first = await peer.ProposeBatchAsync(batch, headers);
        var replay = await Assert.ThrowsAsync<RpcException>(async () => await peer.ProposeBatchAsync(batch, headers));

        Assert.Equal(ForwardedResult.Types.Outcome.Applied, Assert.Single(first.Results).Outcome);
        Assert.Equal(StatusCode.AlreadyExists, replay.StatusCode);
        Assert.Equal(1, (await cluster[leader].Http.GetJsonAsync("/config/peer.batch")).Body!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Propose_SignedWithAnotherClustersSecret_IsRefused()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var (request, headers) = await SignedPutAsync(cluster[leader], RandomNumberGenerator.GetBytes(32), "peer.forged");

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await new Peer.PeerClient(cluster[leader].Grpc).ProposeAsync(request, headers));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[leader].Http.GetJsonAsync("/config/peer.forged")).Status);
    }

    // Every method of the internal Peer service (read from the contract, so a new one is covered at
    // once), called unsigned and signed with another cluster's secret, is refused before it runs.
    [Fact]
    public async Task EveryPeerMethod_UnsignedOrSignedWithAnotherClustersSecret_IsRefused()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var invoker = cluster[0].Grpc.CreateCallInvoker();
        var methods = PeerReflection.Descriptor.Services.Single(static s => s.Name == "Peer").Methods;
        var otherKey = ClusterKeys.Derive(RandomNumberGenerator.GetBytes(32), ClusterKeys.PeerPurpose);
        var failures = new List<string>();
        foreach (var method in methods)
        {
            var unsigned = await Acl.RouteMatrixTests.CallAsync(invoker, method, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)));
            if (unsigned != StatusCode.Unauthenticated)
                failures.Add($"{method.Name} unsigned: {unsigned}");

            var status = await TestCluster.StatusAsync(cluster[0]);
            var stamp = PeerStamp.New(status["term"]!.GetValue<long>(), status["commitIndex"]!.GetValue<long>());
            var forged = new Metadata { { PeerSignature.StampHeader, stamp.ToString() }, { PeerSignature.SignatureHeader, PeerSignature.Sign(otherKey, stamp, []) } };
            var foreign = await Acl.RouteMatrixTests.CallAsync(invoker, method, new CallOptions(forged, DateTime.UtcNow.AddSeconds(10)));
            if (foreign != StatusCode.Unauthenticated)
                failures.Add($"{method.Name} signed with another secret: {foreign}");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Contains(methods, static m => m.Name == "ReportDurable");
    }

    [Fact]
    public async Task Propose_Unsigned_IsRefused()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var (request, _) = await SignedPutAsync(cluster[0], Convert.FromBase64String(NodeProcess.ClusterSecret), "peer.unsigned");

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await new Peer.PeerClient(cluster[0].Grpc).ProposeAsync(request));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }
}
