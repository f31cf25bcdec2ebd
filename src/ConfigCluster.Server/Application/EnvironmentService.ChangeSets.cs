using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Application;

public sealed partial class EnvironmentService
{
    /// <summary>
    /// Applies puts and deletes as one log entry: all or nothing, one revision. Every item is
    /// checked first (write for a put, delete for a delete, in the item's own environment);
    /// a refusal names the first item refused and nothing is written.
    /// </summary>
    public async Task<Outcome<CommandResult>> ApplyChangeSetAsync(IReadOnlyList<ChangeSetEntry> entries, string? message, string? requestId, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0 || entries.Count > FasterVersionedStore.MaxChangeSetItems)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"a change-set holds 1 to {FasterVersionedStore.MaxChangeSetItems} items");
        var items = entries.Select(static e => new ItemAccessRequest(e.ValueJson is null ? Capability.Delete : Capability.Write, e.Path.Namespace, e.Path.Environment, e.Path.Key));
        if (await access.RequireAsync("changeset", items, token) is { } refused)
            return refused;
        return await SubmitChangeSetAsync(entries, message, requestId, token);
    }

    // The write itself, once access is settled; rebuilt from fresh state when the store says it is stale.
    private Task<Outcome<CommandResult>> SubmitChangeSetAsync(IReadOnlyList<ChangeSetEntry> entries, string? message, string? requestId, CancellationToken token)
        => pipeline.SubmitAsync(async ct =>
        {
            var changeSet = new ChangeSetOp { Message = message ?? "" };
            foreach (var entry in entries)
            {
                var item = await builder.ItemAsync(entry, ct);
                if (item.Error is { } itemError)
                    return itemError;
                changeSet.Items.Add(item.Value!);
            }

            var command = pipeline.NewCommand(requestId);
            command.ChangeSet = changeSet;
            return command;
        }, token);
}
