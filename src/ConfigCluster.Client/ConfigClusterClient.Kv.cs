using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    /// <summary>A key's latest (effective) value, or version <paramref name="version"/>.</summary>
    /// <exception cref="ConfigNotFoundException">The key or version does not exist.</exception>
    public async Task<KeyValue> GetAsync(string key, long version = 0, bool serializable = false, string? environment = null, CancellationToken token = default)
    {
        var request = new GetRequest { Path = Path(key, environment), Version = version, Consistency = serializable ? Consistency.Serializable : Consistency.Linearizable };
        var response = await RetryAsync(async deadline => await Kv.GetAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: false, token).ConfigureAwait(false);
        return response.Kv;
    }

    /// <summary>Writes a JSON value; retried safely (one request id for every attempt).</summary>
    public Task<WriteResponse> PutAsync(string key, string valueJson, bool secret = false, long? expectedVersion = null, string? environment = null, CancellationToken token = default)
    {
        var request = new PutRequest { Path = Path(key, environment), ValueJson = valueJson, Secret = secret, RequestId = NewRequestId() };
        if (expectedVersion is { } expected)
            request.ExpectedVersion = expected;
        return RetryAsync(async deadline => await Kv.PutAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: true, token);
    }

    /// <summary>Writes a value serialized with System.Text.Json.</summary>
    public Task<WriteResponse> PutValueAsync<T>(string key, T value, bool secret = false, long? expectedVersion = null, CancellationToken token = default)
        => PutAsync(key, System.Text.Json.JsonSerializer.Serialize(value), secret, expectedVersion, null, token);

    public Task<WriteResponse> DeleteAsync(string key, long? expectedVersion = null, string? environment = null, CancellationToken token = default)
    {
        var request = new DeleteRequest { Path = Path(key, environment), RequestId = NewRequestId() };
        if (expectedVersion is { } expected)
            request.ExpectedVersion = expected;
        return RetryAsync(async deadline => await Kv.DeleteAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: true, token);
    }

    public Task<WriteResponse> RollbackAsync(string key, long toVersion, string? environment = null, CancellationToken token = default)
    {
        var request = new RollbackRequest { Path = Path(key, environment), ToVersion = toVersion, RequestId = NewRequestId() };
        return RetryAsync(async deadline => await Kv.RollbackAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: true, token);
    }

    /// <summary>Every key under <paramref name="prefix"/>, following pages. Secret values are not included.</summary>
    public async Task<IReadOnlyList<KeyValue>> ListAsync(string prefix = "", string? environment = null, CancellationToken token = default)
    {
        var items = new List<KeyValue>();
        var pageToken = "";
        do
        {
            var request = new ListRequest { Namespace = options.Namespace, Environment = environment ?? options.Environment, Prefix = prefix, PageToken = pageToken };
            var page = await RetryAsync(async deadline => await Kv.ListAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: false, token).ConfigureAwait(false);
            items.AddRange(page.Items);
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);
        return items;
    }

    /// <summary>Every version of a key, oldest first (secret values not included).</summary>
    public async Task<IReadOnlyList<KeyValue>> HistoryAsync(string key, string? environment = null, CancellationToken token = default)
    {
        var request = new HistoryRequest { Path = Path(key, environment) };
        var response = await RetryAsync(async deadline => await Kv.HistoryAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: false, token).ConfigureAwait(false);
        return response.Versions;
    }

    private static string NewRequestId() => Guid.NewGuid().ToString("N");
}
