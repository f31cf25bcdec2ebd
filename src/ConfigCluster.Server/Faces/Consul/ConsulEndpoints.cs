using System.Globalization;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Hosting;
using ConfigCluster.Server.Http;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>
/// Consul's KV API (<c>/v1/kv/&lt;key&gt;</c>, <c>/v1/txn</c>) for unchanged Consul clients. Keys live
/// in namespace <c>consul</c>, environment <c>default</c> (see <see cref="ConsulKeys"/>). A GET needs
/// <c>read</c> on the key (on the prefix for <c>?recurse</c> and <c>?keys</c>, whose items are then
/// filtered by <c>read</c> and <c>list</c>); a PUT <c>write</c>; a DELETE <c>delete</c> (each key for
/// <c>?recurse</c>); a transaction <c>read</c> somewhere in the namespace, then each operation's own.
/// </summary>
internal static class ConsulEndpoints
{
    public const string IndexHeader = "X-Consul-Index";

    public static void MapConsulEndpoints(this IEndpointRouteBuilder routes)
    {
        var kv = routes.MapGroup("/v1").WithAccessErrorShape(ConsulAccessErrorShape.Instance).AllowQueryToken();
        kv.MapGet("/kv/{**key}", GetAsync).RequireAccess(Capability.Read, AccessScope.Fixed(ConsulKeys.Namespace, ConsulKeys.Environment, "key"), "consul.kv.read");
        kv.MapPut("/kv/{**key}", PutAsync).RequireAccess(Capability.Write, AccessScope.Fixed(ConsulKeys.Namespace, ConsulKeys.Environment, "key"), "consul.kv.write");
        kv.MapDelete("/kv/{**key}", DeleteAsync).RequireAccess(Capability.Delete, AccessScope.Fixed(ConsulKeys.Namespace, ConsulKeys.Environment, "key"), "consul.kv.delete");
        kv.MapPut("/txn", ConsulTxn.HandleAsync).RequireAccess(Capability.Read, AccessScope.Fixed(ConsulKeys.Namespace, ConsulKeys.Environment, null), "consul.txn");
    }

    private static async Task<IResult> GetAsync(string? key, HttpRequest request, HttpResponse response, ConsulKv consul, CancellationToken token)
    {
        key = AccessScope.RoutePath(key);
        var query = request.Query;
        var recurse = query.ContainsKey("recurse");
        var keysOnly = query.ContainsKey("keys");
        var raw = query.ContainsKey("raw");
        var consistency = query.ContainsKey("stale") ? ReadConsistency.Serializable : ReadConsistency.Linearizable;
        if (!TryIndex(request, out var index, out var wait, out var problem))
            return problem;

        KeyPath? path = null;
        string? prefix = null;
        if (recurse || keysOnly)
        {
            prefix = key ?? "";
            if (!ConsulKeys.TryPrefix(prefix, out var invalid))
                return Text(StatusCodes.Status400BadRequest, invalid);
        }
        else if (ConsulKeys.TryKey(key, out var single, out var invalid))
            path = single;
        else
            return Text(StatusCodes.Status400BadRequest, invalid);

        if (index > 0)
        {
            await consul.WaitAsync(path, prefix, index, wait, consistency, token);
            consistency = ReadConsistency.Serializable; // the wait already brought this node up to date
        }

        if (path is { } one)
            return await GetOneAsync(one, raw, consistency, response, consul, token);
        return keysOnly
            ? await KeysAsync(prefix!, query["separator"], response, consul, token)
            : await TreeAsync(prefix!, consistency, response, consul, token);
    }

    private static async Task<IResult> GetOneAsync(KeyPath path, bool raw, ReadConsistency consistency, HttpResponse response, ConsulKv consul, CancellationToken token)
    {
        var outcome = await consul.GetAsync(path, consistency, token);
        await SetIndexHeadersAsync(response, consul, path, null, token);
        if (outcome.Error is { } error)
            return Error(error);
        if (outcome.Value is not { } entry)
            return Results.StatusCode(StatusCodes.Status404NotFound);
        if (raw)
            return Results.Bytes(entry.Value ?? [], "application/octet-stream");
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartArray();
            ConsulJson.WriteEntry(writer, entry);
            writer.WriteEndArray();
        });
    }

    private static async Task<IResult> TreeAsync(string prefix, ReadConsistency consistency, HttpResponse response, ConsulKv consul, CancellationToken token)
    {
        if (await BarrierAsync(consul, consistency, token) is { } barrierError)
            return Error(barrierError);
        await SetIndexHeadersAsync(response, consul, null, prefix, token);
        var items = (await consul.TreeAsync(prefix, includeDeleted: false, token)).Where(item => consul.Allows(Capability.Read, item.Path.Key)).ToList();
        if (items.Count == 0)
            return Results.StatusCode(StatusCodes.Status404NotFound);
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartArray();
            foreach (var item in items)
                ConsulJson.WriteEntry(writer, ConsulEntry.From(item));
            writer.WriteEndArray();
        });
    }

    // Key names under the prefix; with a separator, each name is cut after the first separator
    // that follows the prefix (Consul's folders), and repeated names appear once.
    private static async Task<IResult> KeysAsync(string prefix, string? separator, HttpResponse response, ConsulKv consul, CancellationToken token)
    {
        if (await BarrierAsync(consul, ReadConsistency.Linearizable, token) is { } barrierError)
            return Error(barrierError);
        await SetIndexHeadersAsync(response, consul, null, prefix, token);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var item in await consul.TreeAsync(prefix, includeDeleted: false, token))
        {
            if (!consul.Allows(Capability.List, item.Path.Key) && !consul.Allows(Capability.Read, item.Path.Key))
                continue;
            var name = item.Path.Key;
            if (!string.IsNullOrEmpty(separator) && name.IndexOf(separator, prefix.Length, StringComparison.Ordinal) is var cut and >= 0)
                name = name[..(cut + separator.Length)];
            names.Add(name);
        }

        if (names.Count == 0)
            return Results.StatusCode(StatusCodes.Status404NotFound);
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartArray();
            foreach (var name in names)
                writer.WriteStringValue(name);
            writer.WriteEndArray();
        });
    }

    private static async Task<IResult> PutAsync(string? key, HttpRequest request, ConsulKv consul, NodeSettings settings, CancellationToken token)
    {
        key = AccessScope.RoutePath(key);
        if (!ConsulKeys.TryKey(key, out var path, out var invalid))
            return Text(StatusCodes.Status400BadRequest, invalid);
        if (request.Query.ContainsKey("acquire") || request.Query.ContainsKey("release"))
            return Text(StatusCodes.Status400BadRequest, "sessions (acquire, release) are not supported by ConfigCluster's Consul face");
        if (!TryUnsigned(request, "flags", out var flags, out var problem) || !TryCas(request, out var cas, out problem))
            return problem;
        var body = await ReadBodyAsync(request, settings.MaxValueBytes, token);
        if (body is null)
            return Text(StatusCodes.Status413PayloadTooLarge, $"Request body too large, max size: {settings.MaxValueBytes} bytes");
        var outcome = await consul.PutAsync(path, body, flags, cas, token);
        return outcome.Error is { } error ? Error(error) : Bool(outcome.Value);
    }

    private static async Task<IResult> DeleteAsync(string? key, HttpRequest request, ConsulKv consul, ConfigService config, CancellationToken token)
    {
        key = AccessScope.RoutePath(key);
        if (!TryCas(request, out var cas, out var problem))
            return problem;
        if (request.Query.ContainsKey("recurse"))
        {
            var prefix = key ?? "";
            if (!ConsulKeys.TryPrefix(prefix, out var invalidPrefix))
                return Text(StatusCodes.Status400BadRequest, invalidPrefix);
            var deleted = await ConsulTxn.DeleteTreeAsync(prefix, consul, config, token);
            return deleted.Error is { } treeError ? Error(treeError) : Bool(true);
        }

        if (!ConsulKeys.TryKey(key, out var path, out var invalid))
            return Text(StatusCodes.Status400BadRequest, invalid);
        var outcome = await consul.DeleteAsync(path, cas, token);
        return outcome.Error is { } error ? Error(error) : Bool(outcome.Value);
    }

    private static async Task<ConfigError?> BarrierAsync(ConsulKv consul, ReadConsistency consistency, CancellationToken token)
        => consistency == ReadConsistency.Linearizable ? await consul.CatchUpAsync(token) : null;

    private static async Task SetIndexHeadersAsync(HttpResponse response, ConsulKv consul, KeyPath? path, string? prefix, CancellationToken token)
    {
        var (_, reported) = await consul.IndexAsync(path, prefix, token);
        response.Headers[IndexHeader] = reported.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-Consul-KnownLeader"] = "true";
        response.Headers["X-Consul-LastContact"] = "0";
    }

    private static bool TryIndex(HttpRequest request, out long index, out TimeSpan wait, out IResult problem)
    {
        index = 0;
        wait = ConsulKv.DefaultWait;
        problem = null!;
        if (request.Query["index"] is [{ Length: > 0 } text] && (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index)))
        {
            problem = Text(StatusCodes.Status400BadRequest, $"Invalid index: '{text}'");
            return false;
        }

        if (request.Query["wait"] is [{ Length: > 0 } waitText])
        {
            if (!DurationParser.TryParse(waitText, out wait) || wait < TimeSpan.Zero)
            {
                problem = Text(StatusCodes.Status400BadRequest, $"Invalid wait time: '{waitText}'");
                return false;
            }

            wait = wait > ConsulKv.MaxWait ? ConsulKv.MaxWait : wait;
        }

        return true;
    }

    private static bool TryCas(HttpRequest request, out long? cas, out IResult problem)
    {
        cas = null;
        problem = null!;
        if (!request.Query.TryGetValue("cas", out var values))
            return true;
        if (values is [{ } text] && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            cas = parsed;
            return true;
        }

        problem = Text(StatusCodes.Status400BadRequest, "Invalid cas index: must be a non-negative integer");
        return false;
    }

    private static bool TryUnsigned(HttpRequest request, string name, out ulong value, out IResult problem)
    {
        value = 0;
        problem = null!;
        if (!request.Query.TryGetValue(name, out var values) || values is [""])
            return true;
        if (values is [{ } text] && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
            return true;
        problem = Text(StatusCodes.Status400BadRequest, $"Invalid {name}: must be an unsigned 64-bit integer");
        return false;
    }

    // The whole body, or null when it exceeds the limit.
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken token)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, token)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>A plain-text answer, as Consul gives its errors.</summary>
    public static IResult Text(int status, string message) => Results.Text(message, "text/plain; charset=utf-8", statusCode: status);

    /// <summary>A ConfigCluster error as Consul would answer it (plain text, Consul's status codes).</summary>
    public static IResult Error(ConfigError error) => Text(error.Code switch
    {
        ConfigErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
        ConfigErrorCode.NotFound => StatusCodes.Status404NotFound,
        ConfigErrorCode.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ConfigErrorCode.PermissionDenied => StatusCodes.Status403Forbidden,
        ConfigErrorCode.VersionMismatch or ConfigErrorCode.Retry or ConfigErrorCode.FailedPrecondition => StatusCodes.Status409Conflict,
        ConfigErrorCode.Unavailable or ConfigErrorCode.Sealed or ConfigErrorCode.Ambiguous => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    }, error.Code == ConfigErrorCode.PermissionDenied ? "Permission denied" : error.Message);

    private static IResult Bool(bool value) => new JsonResult(StatusCodes.Status200OK, writer => writer.WriteBooleanValue(value));
}
