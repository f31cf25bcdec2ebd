using ConfigCluster.Consensus;
using ConfigCluster.Contracts.Audit;

namespace ConfigCluster.Server.Acl;

/// <summary>What <c>audit verify</c> found on one node.</summary>
/// <param name="Ok">The chain is intact and reaches the replicated checkpoint.</param>
/// <param name="Lines">Lines checked.</param>
/// <param name="Files">Files read, oldest first.</param>
/// <param name="FirstBadLine">Chain position of the first bad line, or null.</param>
/// <param name="File">The file that holds it, or null.</param>
/// <param name="Reason">What is wrong, or null.</param>
/// <param name="Checkpoint">The latest checkpoint of this node replicated through the log (null: none yet).</param>
public sealed record AuditReport(bool Ok, long Lines, IReadOnlyList<string> Files, long? FirstBadLine, string? File, string? Reason, AuditCheckpoint? Checkpoint);

/// <summary>
/// Verifies this node's audit chain: every MAC under the cluster's audit key, line numbers in
/// sequence across rotated files, and the chain's length and MAC against the checkpoint of this
/// node that went through the Raft log (so a removed tail shows even though the rest is intact).
/// </summary>
public sealed class AuditVerification(AuditLog audit, ClusterSecret secret, RaftNode node, NodeSettings settings)
{
    /// <summary>Reads and checks every file of the chain.</summary>
    public async Task<AuditReport> VerifyAsync(CancellationToken token)
    {
        var verifier = new AuditChainVerifier(secret.AuditKey);
        var checkpoint = node.Store.FindAuditCheckpoint(settings.NodeId);
        verifier.ExpectCheckpoint(checkpoint is null ? null : new AuditCheckpoint(checkpoint.Lines, checkpoint.Mac));
        var views = audit.OpenForReading();
        try
        {
            foreach (var view in views)
            {
                await foreach (var line in ReadLinesAsync(view, token))
                {
                    if (!verifier.Add(line, view.Name))
                        break;
                }
            }
        }
        finally
        {
            foreach (var view in views)
                view.Dispose();
        }

        var ok = verifier.Finish();
        return new AuditReport(ok, verifier.Lines, [.. views.Select(static v => v.Name)], verifier.FailedLine, verifier.FailedFile, verifier.Failure, checkpoint is null ? null : new AuditCheckpoint(checkpoint.Lines, checkpoint.Mac));
    }

    /// <summary>The lines of one file up to its durable end.</summary>
    public static async IAsyncEnumerable<string> ReadLinesAsync(AuditFileView view, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(view);
        using var limited = new LimitedStream(view.Stream, view.Length);
        using var reader = new StreamReader(limited, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        while (await reader.ReadLineAsync(token) is { } line)
            yield return line;
    }

    // Reads a stream only up to a length (the durable end of a file that is still growing).
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private readonly long length = limit;
        private long remaining = limit;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => length - remaining; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
            remaining -= read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, remaining)], cancellationToken);
            remaining -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
