using ConfigCluster.Server.Application;
using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using ConfigCluster.Server.Watch;
using ConfigCluster.Storage;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Http;

/// <summary>
/// <c>GET /ws/watch?prefix=P&amp;fromRevision=R</c> (or <c>key=K</c>; <c>ns</c>, <c>env</c>): a
/// WebSocket carrying one JSON message per change in revision order, fed by the same change feed
/// as the gRPC watch. Idle streams get <c>{"type":"progress","revision":N}</c> messages.
/// </summary>
internal static class WatchEndpoints
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>The sub-protocol the web console offers beside its token (never the token's own entry).</summary>
    public const string WatchSubProtocol = "configcluster.watch.v1";

    // One key with ?key=, else the scope (events are then filtered per key by WatchAccess).
    public static void MapWatchEndpoints(this IEndpointRouteBuilder routes)
        => routes.Map("/ws/watch", WatchAsync).RequireAccess(Capability.Watch, AccessScope.FromQuery("key"), "watch");

    private static async Task WatchAsync(HttpContext context, WatchReader watches, ConfigService config, Acl.AccessGate gate, Limits.StreamLimits limits)
    {
        var request = context.Request;
        if (!WatchFilter.TryCreate(config.Store, request.Query["ns"], request.Query["env"], request.Query["key"], request.Query["prefix"], out var filter, out var error))
        {
            await HttpErrors.BadRequest(error).ExecuteAsync(context);
            return;
        }

        if (!RequestParameters.TryGetLong(request, "fromRevision", 0, out var fromRevision, out var problem))
        {
            await problem.ExecuteAsync(context);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await HttpErrors.BadRequest("this route needs a WebSocket upgrade").ExecuteAsync(context);
            return;
        }

        using var place = limits.TryEnter(Limits.LimitKind.Watches, context.Items[Acl.AccessMiddleware.CallerItem] as Acl.CallerIdentity);
        if (place is null)
        {
            await Limits.LimitRejection.WriteAsync(context, Limits.LimitScope.Token, Limits.LimitKind.Watches, Limits.StreamLimits.RetryAfter);
            return;
        }

        // A browser that sent its token as a sub-protocol (Acl/TokenAuthenticator) also offers this
        // one, which the server selects: a browser refuses an upgrade that selects none it offered.
        var subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(WatchSubProtocol) ? WatchSubProtocol : null;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var receiving = DrainUntilCloseAsync(socket, closed);
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            var access = WatchAccess.ForCurrentCaller(context.Items[Acl.AccessMiddleware.BearerItem] as string, gate);
            await foreach (var item in watches.ReadAsync(filter, fromRevision, ProgressInterval, closed.Token, access))
            {
                buffer.ResetWrittenCount();
                using (var writer = new Utf8JsonWriter(buffer))
                    Write(writer, item);
                await socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, closed.Token);
            }
        }
        catch (WatchCompactedException e)
        {
            await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, e.Message);
        }
        catch (WatchEndedException e)
        {
            await CloseAsync(socket, WebSocketCloseStatus.EndpointUnavailable, $"watch ended ({e.Reason}); reconnect with fromRevision set to the last revision received");
        }
        catch (OperationCanceledException) when (closed.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (WebSocketException)
        {
            // The connection broke.
        }

        await closed.CancelAsync();
        await receiving;
    }

    private static void Write(Utf8JsonWriter writer, WatchItem item)
    {
        writer.WriteStartObject();
        if (item.Change is not { } change)
        {
            writer.WriteString("type", "progress");
            writer.WriteNumber("revision", item.Revision);
            writer.WriteEndObject();
            return;
        }

        writer.WriteString("type", "event");
        writer.WriteString("key", change.Path.Key);
        writer.WriteString("namespace", change.Path.Namespace);
        writer.WriteString("environment", change.Path.Environment);
        writer.WriteNumber("revision", change.Revision);
        writer.WriteNumber("version", change.Version);
        writer.WriteString("operation", ConfigEndpoints.OperationName(change.Operation));
        writer.WriteString("author", change.Author);
        writer.WriteString("updatedAt", change.Timestamp.UtcDateTime);
        if (change.ChangeMessage.Length > 0)
            writer.WriteString("message", change.ChangeMessage);
        writer.WriteBoolean("secret", change.Secret);
        if (!change.Fingerprint.IsEmpty)
            writer.WriteString("fingerprint", Convert.ToHexStringLower(change.Fingerprint.Span));
        writer.WritePropertyName("value");
        // Watch events never carry a secret's value.
        if (change.IsDeletion || change.Secret)
            writer.WriteNullValue();
        else
            writer.WriteRawValue(change.ValueAsJson(), skipInputValidation: true);
        writer.WriteEndObject();
    }

    // Reads (and ignores) client messages so a close frame is noticed; cancels the watch then.
    private static async Task DrainUntilCloseAsync(WebSocket socket, CancellationTokenSource closed)
    {
        var scratch = new byte[1024];
        try
        {
            while (!closed.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(scratch, closed.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }

        await closed.CancelAsync();
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.CloseOutputAsync(status, reason.Length > 120 ? reason[..120] : reason, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }
}
