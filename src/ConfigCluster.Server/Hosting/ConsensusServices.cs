using ConfigCluster.Consensus;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Hosting;

/// <summary>The storage and consensus layers as services: the host opens the store and hands it to the Raft member.</summary>
internal static class ConsensusServices
{
    /// <summary>TEST ONLY, never set in production: milliseconds every snapshot install on this node is held back (see <see cref="ConsensusOptions.SnapshotInstallDelayForTests"/>).</summary>
    public const string SnapshotInstallDelayVariable = "CONFIGCLUSTER_TEST_SNAPSHOT_INSTALL_DELAY_MS";

    /// <summary>TEST ONLY, never set in production: milliseconds the answer to the first accepted snapshot is held back (see <see cref="ConsensusOptions.FirstSnapshotAnswerDelayForTests"/>).</summary>
    public const string FirstSnapshotAnswerDelayVariable = "CONFIGCLUSTER_TEST_LATE_FIRST_SNAPSHOT_ANSWER_MS";

    /// <summary>Registers the FASTER store (also as <see cref="IVersionedStore"/>), the consensus options and <see cref="RaftNode"/>.</summary>
    public static IServiceCollection AddConsensus(this IServiceCollection services)
    {
        // Opened (and recovered from its checkpoint) before the member is built: the WAL reads
        // the store's snapshot index once, when it is constructed.
        services.AddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<NodeSettings>();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var store = FasterVersionedStore.Open(new StoreOptions
            {
                Directory = Path.Combine(settings.DataDirectory, "store"),
                LogMemoryBytes = settings.StoreMemoryBytes,
                CompactionMinBytes = settings.CompactThresholdBytes,
            });
            StartupTimeline.StoreOpened(provider.GetRequiredService<ILoggerFactory>().CreateLogger("ConfigCluster.Server.Startup"),
                (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, store.AppliedIndex, store.KeyCount,
                store.RecoveryScannedRecords, store.RecoveryUsedImage, StartupTimeline.SinceProcessStartMs);
            return store;
        });
        services.AddSingleton<IVersionedStore>(provider => provider.GetRequiredService<FasterVersionedStore>());
        services.AddSingleton(provider => ConsensusOptionsOf(provider.GetRequiredService<NodeSettings>()));
        services.AddSingleton<RaftNode>();
        return services;
    }

    // The node options the Raft member needs, in its own terms (milliseconds, announced metadata).
    private static ConsensusOptions ConsensusOptionsOf(NodeSettings settings) => new()
    {
        NodeId = settings.NodeId,
        RaftEndPoint = settings.RaftEndPoint,
        Members = settings.Members,
        Join = settings.Join,
        ForceNewCluster = settings.ForceNewCluster,
        DataDirectory = settings.DataDirectory,
        SnapshotInterval = settings.SnapshotInterval,
        PeerTls = settings.PeerTls,
        Durability = settings.Durability,
        LowerElectionTimeoutMs = (int)settings.ElectionTimeout.TotalMilliseconds,
        UpperElectionTimeoutMs = 3 * (int)settings.ElectionTimeout.TotalMilliseconds / 2,
        // TEST ONLY: a node announcing an older command format stands in for an older build (VersionGateTests).
        AnnouncedFormat = uint.TryParse(Environment.GetEnvironmentVariable("CONFIGCLUSTER_TEST_ANNOUNCE_FORMAT"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var announced)
            ? announced : Core.Commands.CommandFormat.Supported,
        // TEST ONLY: a node that applies only older formats stands in for an older build that met a newer command (VersionGateTests).
        AppliedFormatForTests = uint.TryParse(Environment.GetEnvironmentVariable("CONFIGCLUSTER_TEST_APPLY_FORMAT"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var applied)
            ? applied : Core.Commands.CommandFormat.Supported,
        // TEST ONLY: a slow snapshot install on this node (WipedFollowerTests); the member logs it loudly.
        SnapshotInstallDelayForTests = int.TryParse(Environment.GetEnvironmentVariable(SnapshotInstallDelayVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var delayMs)
            ? TimeSpan.FromMilliseconds(delayMs) : TimeSpan.Zero,
        // TEST ONLY: a lost answer to a snapshot install (WipedFollowerTests); the member logs it loudly.
        FirstSnapshotAnswerDelayForTests = int.TryParse(Environment.GetEnvironmentVariable(FirstSnapshotAnswerDelayVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var answerDelayMs)
            ? TimeSpan.FromMilliseconds(answerDelayMs) : TimeSpan.Zero,
        Metadata = new Dictionary<string, string>
        {
            [MemberMetadataKeys.HttpUrl] = settings.HttpUrl.ToString().TrimEnd('/'),
            [MemberMetadataKeys.GrpcUrl] = settings.GrpcUrl.ToString().TrimEnd('/'),
        },
    };
}
