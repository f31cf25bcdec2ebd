using System.Globalization;
using ConfigCluster.Core.Commands;
using DotNext.Net.Cluster.Consensus.Raft;

namespace ConfigCluster.Consensus;

public sealed partial class RaftNode
{
    private static readonly TimeSpan FormatRefresh = TimeSpan.FromSeconds(2);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, uint> announcedFormats = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim formatGate = new(1, 1);
    private FormatSample? clusterFormat; // null until first asked

    private sealed record FormatSample(uint Format, long At);

    /// <summary>
    /// The command format every member supports (the lowest one announced; a member that never
    /// announced one is an older build: <see cref="CommandFormat.Initial"/>). Refreshed from the
    /// members at most every two seconds; a member that cannot be reached keeps its last answer.
    /// </summary>
    public async ValueTask<uint> ClusterFormatAsync(CancellationToken token)
    {
        if (Volatile.Read(ref clusterFormat) is { } recent && System.Diagnostics.Stopwatch.GetElapsedTime(recent.At) < FormatRefresh)
            return recent.Format;
        await formatGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var lowest = CommandFormat.Supported;
            foreach (var member in cluster.Members)
                lowest = Math.Min(lowest, await AnnouncedFormatAsync(member, token).ConfigureAwait(false));
            Volatile.Write(ref clusterFormat, new FormatSample(lowest, System.Diagnostics.Stopwatch.GetTimestamp()));
            return lowest;
        }
        finally
        {
            formatGate.Release();
        }
    }

    private async ValueTask<uint> AnnouncedFormatAsync(IRaftClusterMember member, CancellationToken token)
    {
        if (!member.IsRemote)
            return options.AnnouncedFormat;
        var key = Format(member.EndPoint);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(500));
            var metadata = await member.GetMetadataAsync(refresh: true, timeout.Token).ConfigureAwait(false);
            var format = metadata.TryGetValue(MemberMetadataKeys.Format, out var text) && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : CommandFormat.Initial;
            announcedFormats[key] = format;
            return format;
        }
        catch (Exception e) when (e is OperationCanceledException or DotNext.Net.Cluster.MemberUnavailableException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return announcedFormats.GetValueOrDefault(key, CommandFormat.Initial);
        }
    }

    /// <summary>
    /// The version gate for a write this node forwards to the leader: a command of a newer format
    /// than some member announces is refused here too, since a leader of an older build (mid
    /// rolling upgrade) has no gate and would propose it. Null when it may go.
    /// </summary>
    public ValueTask<ProposeOutcome?> GateForwardAsync(Command command, CancellationToken token) => GateFormatAsync(command, token);

    // Stamps each command with the format it needs; answers the ones the cluster cannot apply yet
    // (some member is an older build) without proposing them. Null when every command may go.
    private async ValueTask<ProposeOutcome?> GateFormatAsync(Command command, CancellationToken token)
    {
        var required = CommandFormat.Required(command);
        command.Format = required;
        if (required <= CommandFormat.Initial)
            return null;
        var cluster = await ClusterFormatAsync(token).ConfigureAwait(false);
        return required <= cluster ? null : new ProposeOutcome(ProposeStatus.Applied, new CommandResult
        {
            Code = ResultCode.ResultNotEnabled,
            Revision = store.Revision,
            Message = $"this operation needs command format {required}, but a member of the cluster supports only {cluster}: upgrade every member first",
        });
    }
}
