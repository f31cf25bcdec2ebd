using System.Net;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

public sealed partial class RaftNode
{
    /// <summary>The marker a forced start leaves in the data directory, so the flag acts only once.</summary>
    public const string ForcedMarkerFileName = "force-new-cluster.done";

    // Disaster recovery (etcd's --force-new-cluster): this node becomes the only member, with the
    // store and log it has. As the sole voter it elects itself and commits what its log holds;
    // fresh nodes then join with --join and `member add`. The member list is saved before the
    // marker, so a crash in between still starts as one member the next time.
    private IReadOnlyList<EndPoint>? ForceNewCluster(IReadOnlyList<EndPoint>? saved, EndPoint self)
    {
        var marker = Path.Combine(options.DataDirectory, ForcedMarkerFileName);
        if (File.Exists(marker))
        {
            ForceLog.AlreadyForced(logger, marker);
            return saved;
        }

        var previous = string.Join(',', (saved ?? options.Members).Select(MemberListFile.Format));
        memberList.Save([self]);
        File.WriteAllText(marker, $"{DateTimeOffset.UtcNow:O} forced a one-member cluster ({MemberListFile.Format(self)}) from members {previous}; store applied index {store.AppliedIndex}{Environment.NewLine}");
        ForceLog.Forced(logger, MemberListFile.Format(self), previous, store.AppliedIndex);
        return [self];
    }

    private static partial class ForceLog
    {
        [LoggerMessage(EventId = 2180, Level = LogLevel.Critical, Message = "--force-new-cluster: this node ({Self}) is now the only member of a new cluster (it was one of {Previous}); its store is at index {AppliedIndex}. Wipe the old members' data before they start again, then add fresh nodes (--join, ccctl member add)")]
        public static partial void Forced(ILogger logger, string self, string previous, long appliedIndex);

        [LoggerMessage(EventId = 2181, Level = LogLevel.Warning, Message = "--force-new-cluster is ignored: this data directory already forced a new cluster ({Marker}); the membership learned since is kept. Remove the flag")]
        public static partial void AlreadyForced(ILogger logger, string marker);
    }
}
