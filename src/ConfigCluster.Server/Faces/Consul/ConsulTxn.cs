using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Hosting;
using ConfigCluster.Server.Http;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>
/// <c>PUT /v1/txn</c> for the KV verbs, and recursive deletes. The operations are evaluated in
/// order on this node after a read barrier, against what it read plus the transaction's own
/// earlier writes; every key read, checked or written is then pinned at the version it was read at
/// (ConfigCluster change-set items: puts and deletes with expected versions, checks for keys only
/// read), so the whole transaction commits as one revision exactly when nothing it read changed.
/// A concurrent change makes the store refuse it; it is then evaluated again (at most
/// <see cref="MaxAttempts"/> times). Sessions (lock, unlock, check-session) are not supported.
/// </summary>
internal static class ConsulTxn
{
    /// <summary>Consul's limit on operations per transaction.</summary>
    public const int MaxOperations = 64;

    /// <summary>How often a transaction is evaluated again after a concurrent change.</summary>
    public const int MaxAttempts = 5;

    public static async Task<IResult> HandleAsync(HttpRequest request, ConsulKv consul, ConfigService config, NodeSettings settings, CancellationToken token)
    {
        List<TxnOp> ops;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: token);
            if (!TxnOp.TryParseAll(document.RootElement, out ops, out var parseError))
                return ConsulEndpoints.Text(StatusCodes.Status400BadRequest, parseError);
        }
        catch (JsonException)
        {
            return ConsulEndpoints.Text(StatusCodes.Status400BadRequest, "Failed to parse body: not a JSON array of operations");
        }

        if (ops.Count > MaxOperations)
            return ConsulEndpoints.Text(StatusCodes.Status413PayloadTooLarge, $"Transaction contains too many operations ({ops.Count} > {MaxOperations})");
        if (ops.FirstOrDefault(op => op.Value is { } value && value.Length > settings.MaxValueBytes) is { } tooLarge)
            return ConsulEndpoints.Text(StatusCodes.Status413PayloadTooLarge, $"Value for key '{tooLarge.Key}' is too large (max {settings.MaxValueBytes} bytes)");

        if (await RequireAccessAsync(ops, consul, token) is { } denied)
            return ConsulEndpoints.Error(denied);

        for (var attempt = 1; ; attempt++)
        {
            if (await consul.CatchUpAsync(token) is { } barrierError)
                return ConsulEndpoints.Error(barrierError);
            var evaluation = await TxnEvaluation.RunAsync(ops, consul, token);
            if (evaluation.Errors.Count > 0)
                return Answer(StatusCodes.Status409Conflict, null, evaluation.Errors);
            if (!evaluation.HasWrites)
                return Answer(StatusCodes.Status200OK, evaluation.Results(0), []);

            var command = config.NewCommand(null);
            command.ChangeSet = evaluation.ToChangeSet();
            var outcome = await config.SubmitRawAsync(command, token);
            if (outcome.Error is { } submitError)
                return ConsulEndpoints.Error(submitError);
            var result = outcome.Value!;
            if (result.Code == ResultCode.ResultOk)
                return Answer(StatusCodes.Status200OK, evaluation.Results(result.Revision), []);
            if (result.Code is not (ResultCode.ResultVersionMismatch or ResultCode.ResultNotFound) || attempt >= MaxAttempts)
                return WriteResults.ToError(result) is { } refused ? ConsulEndpoints.Error(refused) : ConsulEndpoints.Text(StatusCodes.Status500InternalServerError, "transaction failed");
        }
    }

    /// <summary>Deletes every key under a prefix (each needs <c>delete</c>), pinned as a transaction is.</summary>
    public static async Task<Outcome<long>> DeleteTreeAsync(string prefix, ConsulKv consul, ConfigService config, CancellationToken token)
    {
        var op = new TxnOp(0, "delete-tree", prefix, null, 0, 0);
        for (var attempt = 1; ; attempt++)
        {
            if (await consul.CatchUpAsync(token) is { } barrierError)
                return barrierError;
            var tree = await consul.TreeAsync(prefix, includeDeleted: false, token);
            if (tree.Count == 0)
                return 0L;
            if (await RequireItemsAsync("consul.kv.delete", tree.Select(item => (Capability.Delete, item.Path.Key)), consul, token) is { } denied)
                return denied;
            var evaluation = await TxnEvaluation.RunAsync([op], consul, token);
            var command = config.NewCommand(null);
            command.ChangeSet = evaluation.ToChangeSet();
            var outcome = await config.SubmitRawAsync(command, token);
            if (outcome.Error is { } submitError)
                return submitError;
            if (outcome.Value!.Code == ResultCode.ResultOk)
                return outcome.Value.Revision;
            if (outcome.Value.Code is not (ResultCode.ResultVersionMismatch or ResultCode.ResultNotFound) || attempt >= MaxAttempts)
                return WriteResults.ToError(outcome.Value) ?? new ConfigError(ConfigErrorCode.Internal, "delete failed");
        }
    }

    // Each operation's own capability on its key (trees: on the prefix; their items are filtered or checked when read).
    private static Task<ConfigError?> RequireAccessAsync(List<TxnOp> ops, ConsulKv consul, CancellationToken token)
        => RequireItemsAsync("consul.txn", ops.Select(op => (op.Capability, op.Key)), consul, token);

    private static Task<ConfigError?> RequireItemsAsync(string operation, IEnumerable<(Capability Capability, string Key)> items, ConsulKv consul, CancellationToken token)
        => consul.RequireAsync(operation, items.Select(item => new ItemAccessRequest(item.Capability, ConsulKeys.Namespace, ConsulKeys.Environment, item.Key)), token);

    private static IResult Answer(int status, IReadOnlyList<ConsulEntry>? results, IReadOnlyList<(int OpIndex, string What)> errors)
        => new JsonResult(status, writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("Results");
            if (results is null)
                writer.WriteNullValue();
            else
            {
                writer.WriteStartArray();
                foreach (var entry in results)
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("KV");
                    ConsulJson.WriteEntry(writer, entry);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WritePropertyName("Errors");
            if (errors.Count == 0)
                writer.WriteNullValue();
            else
            {
                writer.WriteStartArray();
                foreach (var (opIndex, what) in errors)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("OpIndex", opIndex);
                    writer.WriteString("What", what);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        });
}
