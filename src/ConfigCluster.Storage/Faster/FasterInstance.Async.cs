using FASTER.core;

namespace ConfigCluster.Storage.Faster;

using ReadResult = FasterKV<SpanByte, SpanByte>.ReadAsyncResult<SpanByte, SpanByteAndMemory, Empty>;
using Session = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

internal sealed partial class FasterInstance
{
    /// <summary>
    /// Reads a record without blocking a thread: a record evicted from memory is fetched with
    /// FASTER's asynchronous I/O and the caller resumes when it arrives. The reader session is
    /// this call's alone until then (sessions are not thread-safe), so concurrent readers each
    /// take one from the pool, which grows to the peak concurrency.
    /// </summary>
    public async ValueTask<byte[]?> ReadAsync(byte[] key, CancellationToken token)
    {
        var session = TakeReader();
        try
        {
            var result = await StartRead(session, key, token).ConfigureAwait(false);
            var (status, output) = result.Complete();
            return Finish(status, ref output);
        }
        finally
        {
            readers.Add(session);
        }
    }

    // FASTER copies the key into its pending context before the first await, so the key only
    // needs to be pinned while the read starts.
    private static unsafe ValueTask<ReadResult> StartRead(Session session, byte[] key, CancellationToken token)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            return session.ReadAsync(ref keySpan, token: token);
        }
    }

    private Session TakeReader() => readers.TryTake(out var session) ? session : NewSession();

    private static byte[]? Finish(Status status, ref SpanByteAndMemory output)
    {
        if (status.IsFaulted)
        {
            output.Memory?.Dispose();
            throw new IOException("FASTER read failed");
        }

        if (!status.Found)
        {
            output.Memory?.Dispose();
            return null;
        }

        return TakeBytes(ref output);
    }
}
