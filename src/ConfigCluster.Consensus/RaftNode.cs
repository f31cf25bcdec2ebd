using System.Net;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

/// <summary>
/// This node's Raft member: the FASTER store as state machine, DotNext's WriteAheadLog and the
/// TCP transport. Start order matters: the store recovers its checkpoint before the WAL is
/// built, because the WAL reads the snapshot index once, in its constructor.
/// </summary>
public sealed partial class RaftNode : IAsyncDisposable
{
    private readonly ConsensusOptions options;
    private readonly ILogger<RaftNode> logger;
    private readonly FasterVersionedStore store;
    private readonly StoreStateMachine stateMachine;
    private readonly DurableWriteAheadLog wal;
    private readonly RaftCluster cluster;
    private readonly MemberListFile memberList;

    // The last term in which the read barrier saw an entry of that term committed (see ReadBarrierAsync).
    private long termWithCommittedEntry = -1;

    // Replaced (and the old one cancelled) whenever the leader this node knows changes.
    private CancellationTokenSource leaderEpoch = new();

    // The term this node leads in, taken when it becomes leader (-1 while it follows; a cluster of
    // one member leads in term 0). Entries it
    // proposes carry this term, never the log's current term, which a message from a newer leader
    // can raise while this node is still in its leader state (see ReplicateBatchAsync).
    private long leadershipTerm = -1;

    // Start-up figures for the log (RaftNode.StartAsync): the store's index when the WAL opened, and how long opening took.
    private readonly long replayFrom;
    private readonly TimeSpan walOpened;

    /// <summary>
    /// Builds the member around <paramref name="store"/>, which the host opened (and recovered)
    /// from its checkpoint; the member applies the log to it but does not own it.
    /// </summary>
    public RaftNode(ConsensusOptions options, FasterVersionedStore store, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.options = options;
        this.store = store;
        logger = loggerFactory.CreateLogger<RaftNode>();

        stateMachine = new StoreStateMachine(store, options.SnapshotInterval, Path.Combine(options.DataDirectory, "tmp"), loggerFactory.CreateLogger<StoreStateMachine>())
        {
            InstallDelayForTests = options.SnapshotInstallDelayForTests,
            InstallAnswerBudget = options.PeerRequestTimeout / 2,
            AppliedFormat = options.AppliedFormatForTests,
        };
        if (options.AppliedFormatForTests != CommandFormat.Supported)
            Log.AppliedFormatLowered(logger, options.AppliedFormatForTests, CommandFormat.Supported);
        if (options.SnapshotInstallDelayForTests > TimeSpan.Zero)
            Log.SnapshotInstallDelayed(logger, (long)options.SnapshotInstallDelayForTests.TotalMilliseconds);

        replayFrom = store.AppliedIndex;
        var walStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        wal = DurableWriteAheadLog.Create(
            new WriteAheadLog.Options
            {
                Location = Path.Combine(options.DataDirectory, "wal"),
                HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash3,
                ChunkSize = WalChunkSize.For(Path.Combine(options.DataDirectory, "wal")),
                // Entries are written into memory-mapped chunk files, so an appended entry is in the
                // OS page cache at once and survives a kill -9 of the process. What reaches the
                // disk before a write is acknowledged depends on --durability (DurableWriteAheadLog).
                MemoryManagement = WriteAheadLog.MemoryManagementStrategy.SharedMemory,
            },
            stateMachine,
            options.Durability);
        walOpened = System.Diagnostics.Stopwatch.GetElapsedTime(walStarted);
        wal.FirstSnapshotAnswerDelayForTests = options.FirstSnapshotAnswerDelayForTests;
        wal.Logger = logger;
        wal.ApplyHalted = stateMachine.Halted;
        WireCommitRule();
        if (options.FirstSnapshotAnswerDelayForTests > TimeSpan.Zero)
            Log.FirstSnapshotAnswerDelayed(logger, (long)options.FirstSnapshotAnswerDelayForTests.TotalMilliseconds);

        var (bind, announced) = options.RaftEndPoint switch
        {
            IPEndPoint ip => (ip, (EndPoint)ip),
            DnsEndPoint dns => (new IPEndPoint(IPAddress.Any, dns.Port), dns),
            var other => throw new ArgumentException($"unsupported Raft endpoint {other}", nameof(options)),
        };
        // The member list saved by the last membership change wins over --members.
        memberList = new MemberListFile(Path.Combine(options.DataDirectory, MemberListFile.FileName));
        var saved = memberList.Load();
        if (options.ForceNewCluster)
            saved = ForceNewCluster(saved, announced);
        var joining = saved is null && options.Join;
        var configuration = new RaftCluster.TcpConfiguration(bind)
        {
            // A joining node holds no member list and never starts an election: it waits for the
            // leader to catch it up and then send it the configuration that includes it.
            ColdStart = !joining,
            PublicEndPoint = announced,
            SslOptions = options.PeerTls?.ToSslOptions(),
            LowerElectionTimeout = options.LowerElectionTimeoutMs,
            UpperElectionTimeout = options.UpperElectionTimeoutMs,
            // etcd's proportions: a heartbeat every ~100 ms against a ~1 s election timeout, so a
            // leader whose heartbeats are delayed by a busy box is not deposed by a follower that
            // merely missed one or two (DotNext's default is half the lower timeout).
            HeartbeatThreshold = options.HeartbeatThreshold,
            // Long enough for a follower to receive and install a whole snapshot in one request.
            RequestTimeout = options.PeerRequestTimeout,
            ConnectTimeout = TimeSpan.FromMilliseconds(options.LowerElectionTimeoutMs),
            LoggerFactory = loggerFactory,
            ConfigurationStorage = null!,
        };
        foreach (var (key, value) in options.Metadata)
            configuration.Metadata[key] = value;
        configuration.Metadata[MemberMetadataKeys.NodeId] = options.NodeId;
        configuration.Metadata[MemberMetadataKeys.Format] = options.AnnouncedFormat.ToString(System.Globalization.CultureInfo.InvariantCulture);
        configuration.Metadata[MemberMetadataKeys.Version] = BuildVersion.Current;

        var members = (InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage;
        if (!joining)
        {
            var builder = members.CreateInitialConfigurationBuilder();
            foreach (var member in saved ?? options.Members)
                builder.Add(member);
            builder.Build();
        }

        members.ConfigurationChanged += OnMembershipChangedAsync;
        cluster = new RaftCluster(configuration) { AuditTrail = wal };
        cluster.LeaderChanged += OnLeaderChanged;
        // A node that cannot apply the log any more must not lead: stand by (never a candidate).
        // Before the member has started (a halt while the log replays) StartAsync does it.
        stateMachine.OnHalted = () => Volatile.Read(ref started) ? StandAsideForGoodAsync() : Task.CompletedTask;
    }

    private bool started;

    private Task<bool> StandAsideForGoodAsync() => HoldAsync(resign: true, Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>The store this node applies the log to (the one it was given).</summary>
    public IVersionedStore Store => store;

    /// <summary>The state machine; apply observers attach to it with <see cref="StoreStateMachine.AddObserverAsync"/>.</summary>
    public StoreStateMachine StateMachine => stateMachine;

    /// <summary>This node's name.</summary>
    public string NodeId => options.NodeId;

    /// <summary>True while this node is the leader.</summary>
    public bool IsLeader => !cluster.LeadershipToken.IsCancellationRequested;

    /// <summary>True when some leader is known.</summary>
    public bool HasLeader => cluster.Leader is not null;

    /// <summary>The current Raft term.</summary>
    public long Term => cluster.Term;

    /// <summary>The WAL's commit index.</summary>
    public long CommitIndex => wal.LastCommittedEntryIndex;

    /// <summary>The WAL's applied index (no-op entries included).</summary>
    public long AppliedIndex => wal.LastAppliedIndex;

    /// <summary>
    /// Cancelled as soon as the leader this node knows changes or is lost. Work that waits on the
    /// current leader (a forwarded write, a read barrier) links to it, so a node cut off from the
    /// leader stops waiting when it notices, instead of at its timeout, and the client moves on.
    /// </summary>
    public CancellationToken LeaderEpoch => Volatile.Read(ref leaderEpoch).Token;

    /// <summary>
    /// On a follower, also cancelled when it stops hearing from the leader (DotNext's consensus
    /// token): a follower cut off by a partition keeps its leader's name until it wins or loses an
    /// election, which a pre-vote that reaches nobody never decides. On the leader: never.
    /// </summary>
    public CancellationToken LeaderContact => IsLeader ? CancellationToken.None : cluster.ConsensusToken;

    /// <summary>Raised when the leader changes (null argument: no leader).</summary>
    public event Action<string?>? LeaderChanged;

    /// <summary>Starts Raft: replays the WAL after the store's checkpoint and joins the cluster.</summary>
    public async Task StartAsync(CancellationToken token)
    {
        // The WAL replays the committed entries first. If apply halts on one (a command newer than
        // this build), the replay never ends: the WAL stops waiting for it (so does DotNext's start),
        // and the node starts anyway, to answer its health checks with the reason and to vote,
        // standing aside from elections.
        var phase = System.Diagnostics.Stopwatch.GetTimestamp();
        await wal.InitializeAsync(token).ConfigureAwait(false);
        Log.WalReplayed(logger, (long)System.Diagnostics.Stopwatch.GetElapsedTime(phase).TotalMilliseconds, replayFrom, wal.LastCommittedEntryIndex,
            wal.LastEntryIndex, (long)walOpened.TotalMilliseconds);
        if (stateMachine.HaltReason is not null)
            Log.StartingHalted(logger, store.AppliedIndex, wal.LastCommittedEntryIndex);
        phase = System.Diagnostics.Stopwatch.GetTimestamp();
        await cluster.StartAsync(token).ConfigureAwait(false);
        Volatile.Write(ref started, true);
        Log.ClusterStarted(logger, (long)System.Diagnostics.Stopwatch.GetElapsedTime(phase).TotalMilliseconds);
        if (stateMachine.HaltReason is not null)
            await StandAsideForGoodAsync().ConfigureAwait(false);
        RefreshFollowers();
        Log.Started(logger, options.NodeId, Format(options.RaftEndPoint), store.AppliedIndex, store.Revision);
        WarnAboutLargeClusters(cluster.Members.Count);
    }

    /// <summary>Leaves the cluster and flushes.</summary>
    public async Task StopAsync(CancellationToken token)
    {
        Volatile.Write(ref stopping, true);
        cluster.LeaderChanged -= OnLeaderChanged;
        await cluster.StopAsync(token).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until this node leads and its first entry of the term is applied (it can serve and
    /// propose); returns a token cancelled when that term of leadership ends.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token fired, or this node is stopping.</exception>
    public async Task<CancellationToken> WaitForLeadershipAsync(CancellationToken token)
    {
        try
        {
            return await cluster.WaitForLeadershipAsync(token).ConfigureAwait(false);
        }
        catch (QuorumUnreachableException) when (Volatile.Read(ref stopping))
        {
            // DotNext ends every wait so when the member stops; the hosted loops waiting here stop
            // with the host (they used to stop it with a critical "BackgroundService failed").
            throw new OperationCanceledException("the node is stopping", token);
        }
    }

    private bool stopping;

    /// <summary>Waits until a leader is known, or the token fires.</summary>
    public async Task WaitForLeaderAsync(CancellationToken token)
        => await cluster.WaitForLeaderAsync(Timeout.InfiniteTimeSpan, token).ConfigureAwait(false);

    /// <summary>
    /// Linearizable read barrier: returns once this node has applied everything committed
    /// before the call. Works on followers.
    /// </summary>
    /// <remarks>
    /// DotNext's barrier uses the leader's commit index as it stands. Right after an election a
    /// new leader's commit index can still lag entries the old leader committed (Raft only
    /// advances it once an entry of the new term commits), so a read could miss an acknowledged
    /// write. The barrier therefore also waits until the commit index covers an entry of the
    /// current term, which proves it is complete; that is checked once per term.
    /// </remarks>
    /// <exception cref="QuorumUnreachableException">No leader can confirm the commit index.</exception>
    public async ValueTask ReadBarrierAsync(CancellationToken token)
    {
        await cluster.ApplyReadBarrierAsync(token).ConfigureAwait(false);
        var term = cluster.Term;
        if (Volatile.Read(ref termWithCommittedEntry) == term)
            return;

        var delay = TimeSpan.FromMilliseconds(5);
        while (await TermOfCommittedAsync(token).ConfigureAwait(false) < term)
        {
            await Task.Delay(delay, token).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
            await cluster.ApplyReadBarrierAsync(token).ConfigureAwait(false);
            if (cluster.Term != term)
                term = cluster.Term;
        }

        Volatile.Write(ref termWithCommittedEntry, term);
        await cluster.ApplyReadBarrierAsync(token).ConfigureAwait(false);
    }

    private async ValueTask<long> TermOfCommittedAsync(CancellationToken token)
    {
        var commit = wal.LastCommittedEntryIndex;
        if (commit <= 0)
            return 0;
        using var entries = await wal.ReadAsync(commit, commit, token).ConfigureAwait(false);
        return entries.Count > 0 ? entries[entries.Count - 1].Term : 0;
    }

    private void OnLeaderChanged(ICluster sender, IClusterMember? leader)
    {
        // Callbacks run off this (DotNext's) thread.
        // DotNext raises this under its transition lock, inside the move to the leader state, so the
        // log's term is this leadership's term here; no newer term can be written meanwhile.
        var term = leader is { IsRemote: false } ? cluster.Term : -1;
        Volatile.Write(ref leadershipTerm, term);
        RefreshFollowers();
        commitRule.Lead(term); // before DotNext's first replication round of the term commits anything
        _ = Interlocked.Exchange(ref leaderEpoch, new CancellationTokenSource()).CancelAsync();
        if (leader is null)
            Log.NoLeader(logger);
        else
            Log.LeaderChanged(logger, leader.EndPoint.ToString() ?? "?", leader.IsRemote ? "remote" : "this node");
        LeaderChanged?.Invoke(leader?.EndPoint.ToString());
    }

    /// <inheritdoc/>
    /// <remarks>The store is not disposed: it belongs to whoever opened it, and outlives the WAL.</remarks>
    public async ValueTask DisposeAsync()
    {
        cluster.Dispose();
        await wal.DisposeAsync().ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Raft node {NodeId} started on {RaftEndPoint}; store at index {AppliedIndex}, revision {Revision}")]
        public static partial void Started(ILogger logger, string nodeId, string raftEndPoint, long appliedIndex, long revision);

        [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Leader is {Leader} ({Where})")]
        public static partial void LeaderChanged(ILogger logger, string leader, string where);

        [LoggerMessage(EventId = 2108, Level = LogLevel.Critical, Message = "Starting with apply halted at index {AppliedIndex} of {CommitIndex} committed: this node serves its health checks and votes, but applies nothing and never leads until it is upgraded")]
        public static partial void StartingHalted(ILogger logger, long appliedIndex, long commitIndex);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "No leader")]
        public static partial void NoLeader(ILogger logger);

        [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_LATE_FIRST_SNAPSHOT_ANSWER_MS holds the answer to the first snapshot this node accepts back by {DelayMs} ms. Only tests of lost install answers set this.")]
        public static partial void FirstSnapshotAnswerDelayed(ILogger logger, long delayMs);

        [LoggerMessage(EventId = 7100, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_SNAPSHOT_INSTALL_DELAY_MS holds every snapshot install on this node back by {DelayMs} ms. Only tests of slow snapshot installs set this.")]
        public static partial void SnapshotInstallDelayed(ILogger logger, long delayMs);

        [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "TEST BUILD SWITCH: CONFIGCLUSTER_TEST_APPLY_FORMAT makes this node apply commands up to format {Format} only (this build applies {Supported}); its apply halts on a newer one. Only tests of the version gate set this.")]
        public static partial void AppliedFormatLowered(ILogger logger, uint format, uint supported);

        [LoggerMessage(EventId = 2106, Level = LogLevel.Information, Message = "Start-up: WAL replay from store index {From} to commit index {CommitIndex} done after a wait of {ElapsedMs} ms (last entry {LastIndex}; the replay began when the WAL opened, which took {OpenMs} ms)")]
        public static partial void WalReplayed(ILogger logger, long elapsedMs, long from, long commitIndex, long lastIndex, long openMs);

        [LoggerMessage(EventId = 2107, Level = LogLevel.Information, Message = "Start-up: Raft member started in {ElapsedMs} ms")]
        public static partial void ClusterStarted(ILogger logger, long elapsedMs);

        [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "A proposal ended with an unknown outcome ({Reason})")]
        public static partial void ProposalAmbiguous(ILogger logger, string reason);
    }
}
