using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    private Contracts.V1.Rotation.RotationClient RotationClient { get; }

    /// <summary>
    /// Rotates a secret key now: a new version holding a freshly generated value (drawn and sealed
    /// by the leader). <paramref name="generator"/> overrides the policy covering the key; a key no
    /// policy covers needs one. Re-sent with the same request id after an unknown outcome.
    /// </summary>
    public Task<WriteResponse> RotateAsync(string key, RotationGenerator? generator = null, string? environment = null, CancellationToken token = default)
    {
        var request = new RotateRequest { Path = Path(key, environment), Generator = generator, RequestId = NewRequestId() };
        return WriteAsync("Rotate", request.RequestId, deadline => RotationClient.RotateAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>A key's rotation status: its policy, next due time, last result, failures and hook delivery (never a value).</summary>
    public Task<RotationStatus> GetRotationStatusAsync(string key, string? environment = null, CancellationToken token = default)
        => ReadAsync("GetRotationStatus", deadline => RotationClient.GetStatusAsync(new GetRotationStatusRequest { Path = Path(key, environment) }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>Adds or replaces a rotation policy (admin); its schedule starts now. Harmless to repeat.</summary>
    public Task<RotationPolicy> SetRotationPolicyAsync(RotationPolicy policy, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return WriteAsync("SetRotationPolicy", CallKind.IdempotentWrite, deadline => RotationClient.SetPolicyAsync(policy, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>A rotation policy by name (admin).</summary>
    public Task<RotationPolicy> GetRotationPolicyAsync(string name, CancellationToken token = default)
        => ReadAsync("GetRotationPolicy", deadline => RotationClient.GetPolicyAsync(new GetRotationPolicyRequest { Name = name }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>Every rotation policy (admin).</summary>
    public async Task<IReadOnlyList<RotationPolicy>> ListRotationPoliciesAsync(CancellationToken token = default)
        => (await ReadAsync("ListRotationPolicies", deadline => RotationClient.ListPoliciesAsync(new ListRotationPoliciesRequest(), deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false)).Policies;

    /// <summary>Removes a rotation policy (admin); its keys keep their versions and stop rotating.</summary>
    public Task DeleteRotationPolicyAsync(string name, CancellationToken token = default)
        => WriteAsync("DeleteRotationPolicy", CallKind.OnceWrite, deadline => RotationClient.DeletePolicyAsync(new DeleteRotationPolicyRequest { Name = name }, deadline: deadline, cancellationToken: token).ResponseAsync, token);
}
