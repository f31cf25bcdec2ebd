using System.Net;
using System.Threading.Channels;
using ConfigCluster.Contracts.V1;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>
/// One WatchMany stream: a reader of requests that opens and cancels watches, one pump per
/// watch (<c>WatchManyStream.Pump.cs</c>) and one writer, the only one to write to the call
/// (gRPC allows one write at a time), fed by a bounded outbox. When the stream ends every watch
/// is stopped and the call returns only once each has disposed its subscription.
/// </summary>
internal sealed partial class WatchManyStream
{
    private readonly WatchManyService service;
    private readonly ServerCallContext context;
    private readonly string bearer;
    private readonly IPAddress? source;
    private readonly Channel<WatchManyResponse> outbox = Channel.CreateBounded<WatchManyResponse>(
        new BoundedChannelOptions(WatchManyService.OutboxCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    // The watches open on this stream by id; also guards each OpenWatch's CancelRequested.
    private readonly Dictionary<long, OpenWatch> open = [];

    // Ends the reader and the pumps' last messages: the call ended, the writer failed, or the client closed its side.
    private readonly CancellationTokenSource stop;
    private readonly TaskCompletionSource pumpsDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Pumps still running, plus one while the reader runs: the last to finish completes pumpsDone.
    private int running = 1;

    public WatchManyStream(WatchManyService service, ServerCallContext context)
    {
        this.service = service;
        this.context = context;
        bearer = Acl.GrpcAccessInterceptor.Bearer(context) ?? "";
        source = context.GetHttpContext().Connection.RemoteIpAddress;
        stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
    }

    public async Task RunAsync(IAsyncStreamReader<WatchManyRequest> requests, IServerStreamWriter<WatchManyResponse> responses)
    {
        var writer = WriteAllAsync(responses);
        try
        {
            await ReadAllAsync(requests);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The call ended or its writer failed: the watches end below.
        }
        finally
        {
            OpenWatch[] all;
            lock (open)
                all = [.. open.Values];
            foreach (var watch in all)
                await watch.CancelAsync();
            await stop.CancelAsync();
            PumpFinished();
            await pumpsDone.Task;
            outbox.Writer.TryComplete();
            await writer;
            stop.Dispose();
        }
    }

    private async Task ReadAllAsync(IAsyncStreamReader<WatchManyRequest> requests)
    {
        while (await requests.MoveNext(stop.Token))
        {
            var request = requests.Current;
            var answer = request.RequestCase switch
            {
                WatchManyRequest.RequestOneofCase.Create => Create(request),
                WatchManyRequest.RequestOneofCase.Cancel => await CancelAsync(request.Cancel.WatchId),
                _ => Error(0, StatusCode.InvalidArgument, "a request needs a create or a cancel"),
            };
            if (answer is not null)
                await outbox.Writer.WriteAsync(answer, stop.Token);
        }
    }

    // Null once the watch's pump is started (it answers created or an error); else the refusal,
    // which changes nothing.
    private WatchManyResponse? Create(WatchManyRequest request)
    {
        var id = request.Create.WatchId;
        var watch = new OpenWatch();
        lock (open)
        {
            if (open.ContainsKey(id))
            {
                watch.Dispose();
                return Error(id, StatusCode.AlreadyExists, $"watch {id} is already open on this stream; the create was ignored");
            }

            if (open.Count >= WatchManyService.MaxWatchesPerStream)
            {
                watch.Dispose();
                return Error(id, StatusCode.ResourceExhausted, $"a stream holds at most {WatchManyService.MaxWatchesPerStream} watches; cancel one or open another stream");
            }

            open.Add(id, watch);
        }

        Interlocked.Increment(ref running);
        _ = PumpAsync(id, watch, request);
        return null;
    }

    private async ValueTask<WatchManyResponse?> CancelAsync(long id)
    {
        OpenWatch? watch;
        lock (open)
        {
            if (!open.TryGetValue(id, out watch) || watch.CancelRequested)
                return Error(id, StatusCode.NotFound, $"no watch {id} is open on this stream");
            watch.CancelRequested = true;
        }

        // Its pump answers canceled once it stopped (within the feed's clock tick).
        await watch.CancelAsync();
        return null;
    }

    private async Task WriteAllAsync(IServerStreamWriter<WatchManyResponse> responses)
    {
        try
        {
            await foreach (var response in outbox.Reader.ReadAllAsync(context.CancellationToken))
                await responses.WriteAsync(response, context.CancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The call is over (the client went away): stop reading requests, and so every watch.
            await stop.CancelAsync();
        }
    }

    private void PumpFinished()
    {
        if (Interlocked.Decrement(ref running) == 0)
            pumpsDone.TrySetResult();
    }

    private static WatchManyResponse Error(long id, StatusCode code, string message, long oldestRevision = 0, long resumeRevision = 0)
        => new() { WatchId = id, Error = new WatchError { Code = (int)code, Message = message, OldestRevision = oldestRevision, ResumeRevision = resumeRevision } };

    /// <summary>
    /// One watch's stop signal (the watch itself: one object fewer per idle watch). Never
    /// disposed once its pump runs: it holds no timer and the pump's waits register nothing.
    /// </summary>
    private sealed class OpenWatch : CancellationTokenSource
    {
        /// <summary>The client cancelled it (under the stream's lock): its pump ends with canceled.</summary>
        public bool CancelRequested { get; set; }
    }
}
