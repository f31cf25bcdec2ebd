using System.Collections.Concurrent;
using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;

namespace ConfigCluster.Consensus;

public sealed partial class RaftNode
{
    // Member metadata (node id, client URLs) does not change while a member runs: cache it.
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> metadataCache = new(StringComparer.Ordinal);

    /// <summary>This node's Raft view, with members' announced names and URLs.</summary>
    public async Task<RaftStatus> GetStatusAsync(CancellationToken token)
    {
        var role = IsLeader ? "leader" : cluster.Standby ? "standby" : cluster.Leader is null ? "candidate" : "follower";
        var members = new List<MemberStatus>();
        foreach (var member in cluster.Members)
        {
            var metadata = await GetMetadataAsync(member, token).ConfigureAwait(false);
            members.Add(new MemberStatus(
                metadata?.GetValueOrDefault(MemberMetadataKeys.NodeId),
                Format(member.EndPoint),
                metadata?.GetValueOrDefault(MemberMetadataKeys.HttpUrl),
                metadata?.GetValueOrDefault(MemberMetadataKeys.GrpcUrl),
                Healthy: !member.IsRemote || member.Status == ClusterMemberStatus.Available,
                member.IsLeader,
                IsLocal: !member.IsRemote)
            {
                Version = metadata?.GetValueOrDefault(MemberMetadataKeys.Version),
                // The gate's answer is fresher than the cached metadata (an upgrade restarts the member).
                CommandFormat = announcedFormats.TryGetValue(Format(member.EndPoint), out var announced) ? announced
                    : metadata is null ? 0
                    : uint.TryParse(metadata.GetValueOrDefault(MemberMetadataKeys.Format), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var format) ? format
                    : Core.Commands.CommandFormat.Initial,
            });
        }

        return new RaftStatus(
            role,
            cluster.Term,
            wal.LastCommittedEntryIndex,
            // The WAL's view: it skips entries without payload (no-ops) that never reach the store.
            wal.LastAppliedIndex,
            store.Revision,
            stateMachine.NewestCheckpointIndex,
            stateMachine.SnapshotsInstalled,
            members,
            wal.LastEntryIndex);
    }

    /// <summary>
    /// The metadata announced by the current leader (its node id and client URLs), or null when
    /// no leader is known or it cannot be reached.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>?> GetLeaderMetadataAsync(CancellationToken token)
        => cluster.Leader is { } leader ? await GetMetadataAsync(leader, token).ConfigureAwait(false) : null;

    private async Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(IRaftClusterMember member, CancellationToken token)
    {
        var key = Format(member.EndPoint);
        if (metadataCache.TryGetValue(key, out var cached))
            return cached;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(500));
            var metadata = await member.GetMetadataAsync(refresh: false, timeout.Token).ConfigureAwait(false);
            var copy = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
            metadataCache[key] = copy;
            return copy;
        }
        catch (Exception e) when (e is OperationCanceledException or MemberUnavailableException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return null;
        }
    }

    private static string Format(EndPoint endPoint) => MemberListFile.Format(endPoint);
}
