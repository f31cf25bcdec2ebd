using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    private Environments.EnvironmentsClient EnvironmentsClient => new(channel);

    /// <summary>Effective differences between two environments (secrets compared by fingerprint).</summary>
    public Task<DiffResponse> DiffAsync(string from, string to, string prefix = "", CancellationToken token = default)
    {
        var request = new DiffRequest { Namespace = options.Namespace, From = from, To = to, Prefix = prefix };
        return RetryAsync(async deadline => await EnvironmentsClient.DiffAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: false, token);
    }

    /// <summary>Writes the keys that differ from <paramref name="from"/> into <paramref name="to"/> as one change-set.</summary>
    public Task<PromoteResponse> PromoteAsync(string from, string to, string prefix = "", IEnumerable<string>? keys = null, string? message = null, CancellationToken token = default)
    {
        var request = new PromoteRequest { Namespace = options.Namespace, From = from, To = to, Prefix = prefix, Message = message ?? "" };
        request.Keys.AddRange(keys ?? []);
        return RetryAsync(async deadline => await EnvironmentsClient.PromoteAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: true, token);
    }

    /// <summary>Applies puts and deletes atomically (one revision); retried safely with one request id.</summary>
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

        return RetryAsync(async deadline => await EnvironmentsClient.ApplyChangeSetAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: true, token);
    }
}
