using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Server.Application;

public sealed partial class ConfigService
{
    /// <summary>Writes a value (sealed when it is a secret, or the key holds one).</summary>
    public async Task<Outcome<WriteResult>> PutAsync(KeyPath path, string valueJson, bool secret, long? expectedVersion, string? requestId, CancellationToken token)
    {
        var bytes = builder.ValueBytes(valueJson);
        if (bytes.Error is { } invalid)
            return invalid;
        if (expectedVersion < 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "expectedVersion must be 0 or more");
        return await WriteAsync(path, requestId, async (command, ct) =>
        {
            var put = await builder.PutAsync(path, bytes.Value!, secret, expectedVersion, ct);
            command.Put = put.Value;
            return put.Error;
        }, token);
    }

    /// <summary>Writes raw bytes as they are (never a secret), with opaque <paramref name="flags"/> (the Consul face).</summary>
    public Task<Outcome<WriteResult>> PutBytesAsync(KeyPath path, byte[] value, ulong flags, long? expectedVersion, string? requestId, CancellationToken token)
        => WriteAsync(path, requestId, (command, _) =>
        {
            var put = builder.PutBytes(path, value, flags, expectedVersion);
            command.Put = put.Value;
            return Task.FromResult(put.Error);
        }, token);

    /// <summary>Deletes a key (or, with <paramref name="mask"/>, hides what the environment inherits).</summary>
    public Task<Outcome<WriteResult>> DeleteAsync(KeyPath path, long? expectedVersion, string? requestId, CancellationToken token, bool mask = false)
        => WriteAsync(path, requestId, (command, _) =>
        {
            command.Delete = WriteBuilder.Delete(path, expectedVersion, mask);
            return Task.FromResult<ConfigError?>(null);
        }, token);

    /// <summary>Writes an old version's value again as the newest.</summary>
    public async Task<Outcome<WriteResult>> RollbackAsync(KeyPath path, long toVersion, string? requestId, CancellationToken token)
    {
        if (toVersion < 1)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "version must be 1 or more");
        return await WriteAsync(path, requestId, async (command, ct) =>
        {
            var rollback = await builder.RollbackAsync(path, toVersion, ct);
            command.Rollback = rollback.Value;
            return rollback.Error;
        }, token);
    }

    // One key's write through the pipeline; fill sets the operation on a fresh command each attempt.
    private async Task<Outcome<WriteResult>> WriteAsync(KeyPath path, string? requestId, Func<Command, CancellationToken, Task<ConfigError?>> fill, CancellationToken token)
    {
        var outcome = await pipeline.SubmitAsync(async ct =>
        {
            var command = pipeline.NewCommand(requestId);
            return await fill(command, ct) is { } error ? error : command;
        }, token);
        return outcome.Error is { } failed ? failed : new WriteResult(path, outcome.Value!.Version, outcome.Value.Revision);
    }
}
