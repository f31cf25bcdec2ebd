using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    /// <summary>Every key visible in an environment (its own values over inherited ones; secret values left out), with the revision it reflects.</summary>
    public Task<ListResponse> ListEffectiveAsync(string prefix = "", string? environment = null, CancellationToken token = default)
    {
        var request = new ListEffectiveRequest { Namespace = options.Namespace, Environment = environment ?? options.Environment, Prefix = prefix };
        return ReadAsync("ListEffective", deadline => EnvironmentsClient.ListEffectiveAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Effective differences between two environments (secrets compared by fingerprint).</summary>
    public Task<DiffResponse> DiffAsync(string from, string to, string prefix = "", CancellationToken token = default)
    {
        var request = new DiffRequest { Namespace = options.Namespace, From = from, To = to, Prefix = prefix };
        return ReadAsync("Diff", deadline => EnvironmentsClient.DiffAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Writes the keys that differ from <paramref name="from"/> into <paramref name="to"/> as one change-set (repeating it writes nothing new).</summary>
    public Task<PromoteResponse> PromoteAsync(string from, string to, string prefix = "", IEnumerable<string>? keys = null, string? message = null, CancellationToken token = default)
    {
        var request = new PromoteRequest { Namespace = options.Namespace, From = from, To = to, Prefix = prefix, Message = message ?? "" };
        request.Keys.AddRange(keys ?? []);
        return WriteAsync("Promote", CallKind.IdempotentWrite, deadline => EnvironmentsClient.PromoteAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Applies puts and deletes atomically (one revision); retried safely with one request id.</summary>
    /// <remarks>Items without a namespace or environment get the client's defaults.</remarks>
    public Task<ChangeSetResponse> ApplyChangeSetAsync(IEnumerable<ChangeSetItem> items, string? message = null, CancellationToken token = default)
    {
        var request = new ChangeSetRequest { Message = message ?? "", RequestId = NewRequestId() };
        foreach (var item in items)
        {
            item.Path ??= new KeyPath();
            if (item.Path.Namespace.Length == 0)
                item.Path.Namespace = options.Namespace;
            if (item.Path.Environment.Length == 0)
                item.Path.Environment = options.Environment;
            request.Items.Add(item);
        }

        return WriteAsync("ApplyChangeSet", request.RequestId, deadline => EnvironmentsClient.ApplyChangeSetAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }
}
