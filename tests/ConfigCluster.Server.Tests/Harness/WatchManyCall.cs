using ConfigCluster.Contracts.V1;
using Grpc.Core;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// A test's end of one <c>Watch.WatchMany</c> stream: sends creates and cancels, and keeps every
/// response (by watch id, in arrival order) from a reader running in the background.
/// </summary>
internal sealed class WatchManyCall : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly AsyncDuplexStreamingCall<WatchManyRequest, WatchManyResponse> call;
    private readonly List<WatchManyResponse> received = [];
    private readonly Lock gate = new();
    private readonly Task reading;
    private RpcException? ended;

    public WatchManyCall(ChannelBase channel, Metadata? headers, CancellationToken token)
    {
        call = new Watch.WatchClient(channel).WatchMany(headers, cancellationToken: token);
        reading = ReadAllAsync(token);
    }

    /// <summary>The error status the stream ended with, if it did (null while it is open or after it ended OK).</summary>
    public RpcException? Ended
    {
        get
        {
            lock (gate)
                return ended;
        }
    }

    public Task CreateAsync(long id, WatchRequest watch)
        => call.RequestStream.WriteAsync(new WatchManyRequest { Create = new WatchCreateRequest { WatchId = id, Watch = watch } });

    public Task CancelAsync(long id) => call.RequestStream.WriteAsync(new WatchManyRequest { Cancel = new WatchCancelRequest { WatchId = id } });

    public Task SendAsync(WatchManyRequest request) => call.RequestStream.WriteAsync(request);

    /// <summary>The responses for watch <paramref name="id"/> so far, in order.</summary>
    public List<WatchManyResponse> For(long id)
    {
        lock (gate)
            return [.. received.Where(r => r.WatchId == id)];
    }

    /// <summary>The events watch <paramref name="id"/> received so far, in order.</summary>
    public List<KeyValue> Events(long id) => [.. For(id).Where(static r => r.Update is not null).SelectMany(static r => r.Update.Events)];

    /// <summary>Waits for the first response for <paramref name="id"/> that matches.</summary>
    public async Task<WatchManyResponse> WaitForAsync(long id, Func<WatchManyResponse, bool> match, string what, TimeSpan? timeout = null)
    {
        WatchManyResponse? found = null;
        await Eventually.WaitAsync(() =>
        {
            found = For(id).FirstOrDefault(match);
            return found is not null || Ended is not null;
        }, timeout ?? Timeout, $"watch {id}: {what}");
        return found ?? throw new InvalidOperationException($"the stream ended ({Ended!.StatusCode} {Ended.Status.Detail}) before watch {id}: {what}");
    }

    /// <summary>Waits for watch <paramref name="id"/>'s error and returns it.</summary>
    public async Task<WatchError> ErrorAsync(long id) => (await WaitForAsync(id, static r => r.Error is not null, "an error")).Error;

    /// <summary>Waits until watch <paramref name="id"/> has received at least <paramref name="count"/> events.</summary>
    public async Task WaitForEventsAsync(long id, int count, TimeSpan? timeout = null)
    {
        await Eventually.WaitAsync(() => Events(id).Count >= count || Ended is not null, timeout ?? Timeout, $"watch {id}: {count} events");
        if (Events(id).Count < count)
            throw new InvalidOperationException($"the stream ended ({Ended!.StatusCode} {Ended.Status.Detail}) before watch {id} got {count} events");
    }

    /// <summary>Closes the client's side (the server then ends the stream) and waits for the reader.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await call.RequestStream.CompleteAsync();
            await reading.WaitAsync(Timeout);
        }
        finally
        {
            call.Dispose();
        }
    }

    private async Task ReadAllAsync(CancellationToken token)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(token))
            {
                lock (gate)
                    received.Add(call.ResponseStream.Current);
            }
        }
        catch (RpcException e)
        {
            lock (gate)
                ended = e;
        }
    }
}
