using System.Runtime.CompilerServices;
using System.Text.Json;
using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    /// <summary>A key's latest effective value (its own, else inherited), or one version of it.</summary>
    /// <param name="key">Dot-separated key, e.g. <c>database.host</c>.</param>
    /// <param name="version">A specific version; null (the default) reads the latest.</param>
    /// <param name="consistency">Linearizable (default: never stale) or serializable (local, cheaper, may be stale).</param>
    /// <param name="environment">Overrides <see cref="ConfigClusterClientOptions.Environment"/> for this call.</param>
    /// <returns>The version read; <see cref="KeyValue.ValueJson"/> holds the JSON (secrets included: only an explicit get reveals them).</returns>
    /// <exception cref="ConfigNotFoundException">The key or version does not exist.</exception>
    /// <exception cref="ConfigUnavailableException">No node answered within the operation timeout.</exception>
    public async Task<KeyValue> GetAsync(string key, long? version = null, Consistency consistency = Consistency.Linearizable, string? environment = null, CancellationToken token = default)
    {
        var request = new GetRequest { Path = Path(key, environment), Version = version ?? 0, Consistency = consistency };
        var response = await ReadAsync("Get", deadline => Kv.GetAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false);
        return response.Kv;
    }

    /// <summary>Reads a key and deserializes its JSON value with System.Text.Json.</summary>
    /// <exception cref="ConfigNotFoundException">The key does not exist.</exception>
    /// <exception cref="JsonException">The value does not fit <typeparamref name="T"/>.</exception>
    public async Task<T?> GetValueAsync<T>(string key, JsonSerializerOptions? json = null, CancellationToken token = default)
    {
        var kv = await GetAsync(key, token: token).ConfigureAwait(false);
        return JsonSerializer.Deserialize<T>(kv.ValueJson, json);
    }

    /// <summary>Writes a value given as JSON text (<c>"\"text\""</c>, <c>42</c>, <c>{"a":1}</c>). Retried safely: every attempt carries one request id.</summary>
    /// <param name="secret">Store as a secret (sealed at rest, never listed); once secret, a key stays secret.</param>
    /// <param name="expectedVersion">Compare-and-set: apply only if the key is at this version (0 = must not exist).</param>
    /// <exception cref="ConfigVersionMismatchException">The key was not at <paramref name="expectedVersion"/>; nothing changed.</exception>
    /// <exception cref="ConfigValidationException">Bad key, invalid JSON, or value too large; nothing changed.</exception>
    /// <exception cref="ConfigAmbiguousWriteException">The outcome stayed unknown until the operation timeout.</exception>
    /// <exception cref="ConfigUnavailableException">No node could take the write; it was not applied.</exception>
    public Task<WriteResponse> PutAsync(string key, string valueJson, bool secret = false, long? expectedVersion = null, string? environment = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(valueJson);
        var request = new PutRequest { Path = Path(key, environment), ValueJson = valueJson, Secret = secret, RequestId = NewRequestId() };
        if (expectedVersion is { } expected)
            request.ExpectedVersion = expected;
        return WriteAsync("Put", request.RequestId, deadline => Kv.PutAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Writes <paramref name="value"/> serialized with System.Text.Json; otherwise as <see cref="PutAsync"/>.</summary>
    public Task<WriteResponse> PutValueAsync<T>(string key, T value, bool secret = false, long? expectedVersion = null, JsonSerializerOptions? json = null, CancellationToken token = default)
        => PutAsync(key, JsonSerializer.Serialize(value, json), secret, expectedVersion, null, token);

    /// <summary>Deletes a key (a tombstone version; history stays). Retried safely with one request id.</summary>
    /// <param name="mask">In a non-default environment: also hide the inherited value.</param>
    /// <exception cref="ConfigNotFoundException">The key does not exist.</exception>
    /// <exception cref="ConfigVersionMismatchException">The key was not at <paramref name="expectedVersion"/>.</exception>
    public Task<WriteResponse> DeleteAsync(string key, long? expectedVersion = null, string? environment = null, bool mask = false, CancellationToken token = default)
    {
        var request = new DeleteRequest { Path = Path(key, environment), RequestId = NewRequestId(), Mask = mask };
        if (expectedVersion is { } expected)
            request.ExpectedVersion = expected;
        return WriteAsync("Delete", request.RequestId, deadline => Kv.DeleteAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Makes a new version holding version <paramref name="toVersion"/>'s value. Retried safely with one request id.</summary>
    /// <exception cref="ConfigNotFoundException">The key or version does not exist.</exception>
    public Task<WriteResponse> RollbackAsync(string key, long toVersion, string? environment = null, CancellationToken token = default)
    {
        var request = new RollbackRequest { Path = Path(key, environment), ToVersion = toVersion, RequestId = NewRequestId() };
        return WriteAsync("Rollback", request.RequestId, deadline => Kv.RollbackAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>One page of the keys under <paramref name="prefix"/> in the environment's own keys (secret values left out).</summary>
    /// <param name="pageToken">The previous page's <see cref="ListResponse.NextPageToken"/>; null for the first page.</param>
    /// <param name="limit">Most items in the page; 0 = server default (1000).</param>
    public Task<ListResponse> ListPageAsync(string prefix = "", string? pageToken = null, int limit = 0, Consistency consistency = Consistency.Linearizable, string? environment = null, CancellationToken token = default)
    {
        var request = new ListRequest
        {
            Namespace = options.Namespace, Environment = environment ?? options.Environment, Prefix = prefix, PageToken = pageToken ?? "", Limit = limit, Consistency = consistency,
        };
        return ReadAsync("List", deadline => Kv.ListAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Every key under <paramref name="prefix"/>, fetched page by page as it is enumerated (secret values left out).</summary>
    public async IAsyncEnumerable<KeyValue> EnumerateAsync(string prefix = "", Consistency consistency = Consistency.Linearizable, string? environment = null, [EnumeratorCancellation] CancellationToken token = default)
    {
        string? pageToken = null;
        do
        {
            var page = await ListPageAsync(prefix, pageToken, 0, consistency, environment, token).ConfigureAwait(false);
            foreach (var item in page.Items)
                yield return item;
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);
    }

    /// <summary>Every key under <paramref name="prefix"/> (all pages), secret values left out.</summary>
    public async Task<IReadOnlyList<KeyValue>> ListAsync(string prefix = "", string? environment = null, CancellationToken token = default)
    {
        var items = new List<KeyValue>();
        await foreach (var item in EnumerateAsync(prefix, Consistency.Linearizable, environment, token).ConfigureAwait(false))
            items.Add(item);
        return items;
    }

    /// <summary>Every version of a key, oldest first (secret values left out).</summary>
    /// <exception cref="ConfigNotFoundException">The key never existed.</exception>
    public async Task<IReadOnlyList<KeyValue>> HistoryAsync(string key, string? environment = null, CancellationToken token = default)
    {
        var request = new HistoryRequest { Path = Path(key, environment) };
        var response = await ReadAsync("History", deadline => Kv.HistoryAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false);
        return response.Versions;
    }
}
