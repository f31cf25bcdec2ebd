using System.Net.Sockets;
using ConfigCluster.Consensus;
using ConfigCluster.Contracts.Internal.V1;
using ConfigCluster.Core.Commands;
using Google.Protobuf;
using Grpc.Core;

namespace ConfigCluster.Server.Application;

/// <summary>
/// Gets a command committed wherever the leader is: proposes it locally when this node leads,
/// otherwise forwards it to the leader's internal Peer service. Retries only while nothing can
/// have been appended (no leader yet, leader moved before appending, leader unreachable);
/// anything else is reported as ambiguous, never as failed.
/// </summary>
public sealed partial class WriteCoordinator(RaftNode node, NodeSettings settings, Acl.PeerAuthenticator peers, PeerChannels peerChannels, IEnumerable<IProposalPreparer> preparers, TimeProvider time, ILogger<WriteCoordinator> logger)
{
    private ForwardQueue? forwards;

    private ForwardQueue Forwards
    {
        get
        {
            if (Volatile.Read(ref forwards) is { } queue)
                return queue;
            Interlocked.CompareExchange(ref forwards, new ForwardQueue(SendBatchAsync), null);
            return forwards;
        }
    }

    /// <summary>Trailer a leader sets when it refused a forwarded command because it no longer leads.</summary>
    public const string NotLeaderTrailer = "cc-not-leader";

    /// <summary>
    /// How long a node without any leader keeps a write waiting before answering "unavailable",
    /// so a client stuck on a partitioned minority node moves on to another node quickly.
    /// </summary>
    public static readonly TimeSpan NoLeaderGrace = TimeSpan.FromSeconds(1);

    /// <summary>Commits <paramref name="command"/> and returns its apply result.</summary>
    public async Task<Outcome<CommandResult>> SubmitAsync(Command command, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(settings.WriteTimeout);
        var notAfter = time.GetUtcNow() + settings.WriteTimeout;
        var delay = TimeSpan.FromMilliseconds(20);
        long? leaderlessSince = null;
        while (true)
        {
            if (node.HasLeader)
                leaderlessSince = null;
            else if ((leaderlessSince ??= System.Diagnostics.Stopwatch.GetTimestamp()) is var since && System.Diagnostics.Stopwatch.GetElapsedTime(since) > NoLeaderGrace)
                return new ConfigError(ConfigErrorCode.Unavailable, "this node sees no leader (it may be cut off from the majority); the write was not applied");

            ProposeOutcome outcome;
            try
            {
                outcome = node.IsLeader
                    ? await node.ProposeAsync(Prepare(command), deadline.Token)
                    : await ForwardAsync(command, notAfter, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                return new ConfigError(ConfigErrorCode.Ambiguous, "the write timed out while in flight; it may or may not have been applied");
            }

            switch (outcome.Status)
            {
                case ProposeStatus.Applied:
                    return outcome.Result!;
                case ProposeStatus.Ambiguous:
                    return new ConfigError(ConfigErrorCode.Ambiguous, "leadership changed while the write was in flight; it may or may not have been applied");
            }

            // Not applied anywhere: wait for a (new) leader and try again, within the deadline.
            try
            {
                await Task.Delay(delay, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
            {
                return new ConfigError(ConfigErrorCode.Unavailable, "no leader is available (quorum lost?); the write was not applied");
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>Completes a command about to be proposed on this node as leader (see <see cref="IProposalPreparer"/>).</summary>
    public Command Prepare(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!node.IsLeader)
            return command; // a forward that reached a follower is answered "not leader" and sent again
        foreach (var preparer in preparers)
            preparer.Prepare(command);
        return command;
    }

    private async Task<ProposeOutcome> ForwardAsync(Command command, DateTimeOffset notAfter, CancellationToken token)
    {
        if (await node.GateForwardAsync(command, token) is { } refused)
            return refused;
        var leader = await node.GetLeaderMetadataAsync(token);
        if (leader is null || !leader.TryGetValue(MemberMetadataKeys.GrpcUrl, out var url))
            return ProposeOutcome.NotLeader;

        // Concurrent writes share one call to the leader (ForwardQueue); this one's outcome
        // comes back through its ForwardedWrite.
        var write = new ForwardedWrite(url, CommandCodec.Encode(command), notAfter.ToUnixTimeMilliseconds());
        Forwards.Add(write);
        return await write.Task.WaitAsync(token);
    }

    // One ProposeBatch call carrying every write in the batch; completes each write.
    private async Task SendBatchAsync(string url, List<ForwardedWrite> batch)
    {
        // Stop waiting when this node's view of the leader changes (it was cut off, or the
        // leader moved): the writes may have reached the leader, so the answer is "ambiguous",
        // and clients retry elsewhere with the same request ids instead of waiting out the timeout.
        using var inFlight = CancellationTokenSource.CreateLinkedTokenSource(node.LeaderEpoch, node.LeaderContact);
        var request = new ProposeBatchRequest { Nonce = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) };
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var write in batch)
        {
            request.Commands.Add(new ForwardedCommand
            {
                Command = UnsafeByteOperations.UnsafeWrap(write.Encoded),
                NotAfterUnixMs = write.NotAfterUnixMs,
                // Relative, so the leader's clock need not agree with this node's (the absolute
                // deadline stays for leaders of an older build).
                RemainingMs = Math.Max(1, write.NotAfterUnixMs - nowMs),
            });
            request.NotAfterUnixMs = Math.Max(request.NotAfterUnixMs, write.NotAfterUnixMs);
        }

        inFlight.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, request.NotAfterUnixMs - nowMs)));
        var client = peerChannels.For(url);
        try
        {
            if (peers.SignedHeaders(request.ToByteArray()) is not { } headers)
            {
                Complete(batch, ProposeOutcome.NotLeader); // not bootstrapped yet: nothing can be forwarded
                return;
            }

            var reply = await client.ProposeBatchAsync(request, headers, cancellationToken: inFlight.Token);
            Log.Forwarded(logger, url, batch.Count);
            Observability.ServerMeters.ForwardedWrites.Add(batch.Count);
            for (var i = 0; i < batch.Count; i++)
                batch[i].TrySetResult(i < reply.Results.Count ? ToOutcome(reply.Results[i]) : ProposeOutcome.Ambiguous);
        }
        catch (RpcException e) when (e.Trailers.GetValue(NotLeaderTrailer) is not null || IsConnectionRefused(e))
        {
            Complete(batch, ProposeOutcome.NotLeader);
        }
        catch (RpcException e)
        {
            Log.ForwardAmbiguous(logger, url, e.StatusCode.ToString());
            Complete(batch, ProposeOutcome.Ambiguous);
        }
    }

    private static ProposeOutcome ToOutcome(ForwardedResult result) => result.Outcome switch
    {
        ForwardedResult.Types.Outcome.Applied => new ProposeOutcome(ProposeStatus.Applied, CommandResult.Parser.ParseFrom(result.Result)),
        ForwardedResult.Types.Outcome.NotLeader => ProposeOutcome.NotLeader,
        // Expired: its client has already been told "ambiguous" and it was never proposed.
        _ => ProposeOutcome.Ambiguous,
    };

    private static void Complete(List<ForwardedWrite> batch, ProposeOutcome outcome)
    {
        foreach (var write in batch)
            write.TrySetResult(outcome);
    }

    // A refused connection means the request never reached the leader: safe to retry.
    private static bool IsConnectionRefused(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                return true;
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Forwarded {Count} writes to the leader at {LeaderUrl}")]
        public static partial void Forwarded(ILogger logger, string leaderUrl, int count);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Forwarding writes to {LeaderUrl} ended with {Status}; outcome unknown")]
        public static partial void ForwardAmbiguous(ILogger logger, string leaderUrl, string status);
    }
}
