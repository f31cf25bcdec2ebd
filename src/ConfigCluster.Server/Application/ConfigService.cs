using System.Text;
using System.Text.Json;
using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;
using DotNext.Net.Cluster.Consensus.Raft;
using Google.Protobuf;

namespace ConfigCluster.Server.Application;

/// <summary>
/// The one place both edges (gRPC and HTTP) go through. Writes: validate, build the command
/// (time and author travel inside it), commit through <see cref="WriteCoordinator"/>. Reads:
/// read barrier unless serializable, then the local store.
/// Authorization and secret encryption belong between validation and <c>SubmitAsync</c>.
/// </summary>
public sealed class ConfigService(RaftNode node, WriteCoordinator writes, NodeSettings settings, TimeProvider clock)
{
    /// <summary>Author recorded on versions until access control names the caller.</summary>
    public const string AnonymousAuthor = "anonymous";

    /// <summary>Default and largest page size of a listing.</summary>
    public const int DefaultListLimit = 1000, MaxListLimit = 10_000;

    public IVersionedStore Store => node.Store;

    public async Task<Outcome<StoredVersion>> GetAsync(KeyPath path, long version, ReadConsistency consistency, CancellationToken token)
    {
        if (version < 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "version must be 1 or more");
        if (await BarrierAsync(consistency, token) is { } error)
            return error;
        var found = node.Store.Get(path, version);
        if (found is null)
            return new ConfigError(ConfigErrorCode.NotFound, version > 0 ? $"key '{path.Key}' has no version {version}" : $"key '{path.Key}' not found");
        if (version == 0 && found.IsDeletion)
            return new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' not found (deleted at version {found.Version})");
        return found;
    }

    public async Task<Outcome<IReadOnlyList<StoredVersion>>> HistoryAsync(KeyPath path, ReadConsistency consistency, CancellationToken token)
    {
        if (await BarrierAsync(consistency, token) is { } error)
            return error;
        var versions = node.Store.History(path);
        return versions.Count == 0 ? new ConfigError(ConfigErrorCode.NotFound, $"key '{path.Key}' not found") : Outcome<IReadOnlyList<StoredVersion>>.From(versions);
    }

    public async Task<Outcome<ListPage>> ListAsync(string? ns, string? env, string? prefix, string? after, int limit, bool includeDeleted, ReadConsistency consistency, CancellationToken token)
    {
        ns = string.IsNullOrEmpty(ns) ? KeyPath.DefaultScope : ns;
        env = string.IsNullOrEmpty(env) ? KeyPath.DefaultScope : env;
        if (!KeyPath.TryValidateScope(ns, "namespace", out var invalid) || !KeyPath.TryValidateScope(env, "environment", out invalid)
            || !KeyPath.TryValidatePrefix(prefix, out invalid) || !KeyPath.TryValidatePrefix(after, out invalid))
            return new ConfigError(ConfigErrorCode.InvalidArgument, invalid);
        if (limit < 0 || limit > MaxListLimit)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"limit must be between 1 and {MaxListLimit}");
        if (await BarrierAsync(consistency, token) is { } error)
            return error;
        return node.Store.List(ns, env, prefix ?? "", after, limit == 0 ? DefaultListLimit : limit, includeDeleted);
    }

    public Task<Outcome<WriteResult>> PutAsync(KeyPath path, string valueJson, bool secret, long? expectedVersion, string? requestId, CancellationToken token)
    {
        var bytes = Encoding.UTF8.GetBytes(valueJson);
        if (bytes.Length > settings.MaxValueBytes)
            return Task.FromResult<Outcome<WriteResult>>(new ConfigError(ConfigErrorCode.TooLarge, $"value is {bytes.Length} bytes; the limit is {settings.MaxValueBytes}"));
        if (!IsJson(bytes))
            return Task.FromResult<Outcome<WriteResult>>(new ConfigError(ConfigErrorCode.InvalidArgument, "value must be valid JSON (a string value needs quotes)"));
        if (expectedVersion < 0)
            return Task.FromResult<Outcome<WriteResult>>(new ConfigError(ConfigErrorCode.InvalidArgument, "expectedVersion must be 0 or more"));

        var put = new PutOp { Key = path.ToStoreKey(), Value = ByteString.CopyFrom(bytes), Secret = secret };
        if (expectedVersion is { } expected)
        {
            put.HasExpectedVersion = true;
            put.ExpectedVersion = expected;
        }

        return SubmitAsync(path, NewCommand(requestId, put: put), token);
    }

    public Task<Outcome<WriteResult>> DeleteAsync(KeyPath path, long? expectedVersion, string? requestId, CancellationToken token)
    {
        var delete = new DeleteOp { Key = path.ToStoreKey() };
        if (expectedVersion is { } expected)
        {
            delete.HasExpectedVersion = true;
            delete.ExpectedVersion = expected;
        }

        return SubmitAsync(path, NewCommand(requestId, delete: delete), token);
    }

    public Task<Outcome<WriteResult>> RollbackAsync(KeyPath path, long toVersion, string? requestId, CancellationToken token)
    {
        if (toVersion < 1)
            return Task.FromResult<Outcome<WriteResult>>(new ConfigError(ConfigErrorCode.InvalidArgument, "version must be 1 or more"));
        return SubmitAsync(path, NewCommand(requestId, rollback: new RollbackOp { Key = path.ToStoreKey(), ToVersion = toVersion }), token);
    }

    private Command NewCommand(string? requestId, PutOp? put = null, DeleteOp? delete = null, RollbackOp? rollback = null)
    {
        var command = new Command
        {
            // Only a client-chosen id is remembered for deduplication; none means none.
            RequestId = requestId ?? "",
            TimestampUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            Author = AnonymousAuthor,
        };
        if (put is not null)
            command.Put = put;
        else if (delete is not null)
            command.Delete = delete;
        else
            command.Rollback = rollback;
        return command;
    }

    private async Task<Outcome<WriteResult>> SubmitAsync(KeyPath path, Command command, CancellationToken token)
    {
        if (command.RequestId.Length > FasterVersionedStore.MaxRequestIdLength)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"request id is longer than {FasterVersionedStore.MaxRequestIdLength} characters");
        var outcome = await writes.SubmitAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        var result = outcome.Value!;
        return result.Code switch
        {
            ResultCode.ResultOk => new WriteResult(path, result.Version, result.Revision),
            ResultCode.ResultNotFound or ResultCode.ResultVersionNotFound => new ConfigError(ConfigErrorCode.NotFound, result.Message),
            ResultCode.ResultVersionMismatch => new ConfigError(ConfigErrorCode.VersionMismatch, result.Message) { CurrentVersion = result.CurrentVersion },
            ResultCode.ResultInvalid => new ConfigError(ConfigErrorCode.InvalidArgument, result.Message),
            _ => new ConfigError(ConfigErrorCode.Internal, "the store could not apply the write"),
        };
    }

    private async Task<ConfigError?> BarrierAsync(ReadConsistency consistency, CancellationToken token)
    {
        if (consistency == ReadConsistency.Serializable)
            return null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(settings.ReadTimeout);
        try
        {
            await node.ReadBarrierAsync(deadline.Token);
            return null;
        }
        catch (Exception e) when (e is QuorumUnreachableException or OperationCanceledException && !token.IsCancellationRequested)
        {
            return new ConfigError(ConfigErrorCode.Unavailable, "no leader could confirm this read is current; retry, or ask for consistency=serializable");
        }
    }

    private static bool IsJson(byte[] bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!JsonDocument.TryParseValue(ref reader, out var document))
                return false;
            using (document)
                return reader.BytesConsumed == bytes.Length || IsTrailingWhitespace(bytes.AsSpan((int)reader.BytesConsumed));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsTrailingWhitespace(ReadOnlySpan<byte> rest)
    {
        foreach (var b in rest)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                return false;
        }

        return true;
    }
}
