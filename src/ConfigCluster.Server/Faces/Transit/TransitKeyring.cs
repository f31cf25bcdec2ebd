using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Transit;

/// <summary>
/// The transit keys as this node sees them: their replicated state, changes to it through the
/// log, and their material opened with the master key (cached per version, never written
/// anywhere). New material is drawn by the leader at proposal time and sealed under the master
/// key before the command enters the log (<see cref="TransitMaterialPreparer"/>): the log, the
/// WAL, snapshots and FASTER files only ever hold it sealed, and apply draws nothing.
/// </summary>
internal sealed class TransitKeyring(IVersionedStore store, SecretKeyring secrets, WritePipeline pipeline) : IDisposable
{
    private readonly ConcurrentDictionary<string, byte[]> opened = new(StringComparer.Ordinal);

    /// <summary>Why this node cannot use transit keys (no or wrong master key), or null.</summary>
    public string? SealedReason => secrets.SealedReason ?? (secrets.MasterKey is null ? "no master key" : null);

    /// <summary>Waits until this node has applied everything committed so far.</summary>
    public Task<ConfigError?> CatchUpAsync(CancellationToken token) => pipeline.CatchUpAsync(token);

    public TransitKey? Find(string name) => store.FindTransitKey(name);

    public IReadOnlyList<string> Names() => store.TransitKeyNames();

    /// <summary>The material of one version of a key; false with Vault's message when it cannot be had.</summary>
    public bool TryMaterial(TransitKey key, long version, [NotNullWhen(true)] out byte[]? material, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (TryOpenMaterial(key, version, out material, out error, out var stale))
            return true;
        // A master key rotation re-wrapped the key between the caller's read and this one: once more with its current record.
        if (!stale || store.FindTransitKey(key.Name) is not { } fresh)
            return false;
        return TryOpenMaterial(fresh, version, out material, out error, out _);
    }

    private bool TryOpenMaterial(TransitKey key, long version, [NotNullWhen(true)] out byte[]? material, [NotNullWhen(false)] out string? error, out bool stale)
    {
        material = null;
        stale = false;
        if (key.Version(version) is not { } info)
        {
            error = "invalid key version";
            return false;
        }

        var id = $"{key.Name}\0{version}\0{Convert.ToHexString(SHA256.HashData(info.WrappedMaterial.Span))}";
        if (opened.TryGetValue(id, out material))
        {
            error = null;
            return true;
        }

        if (secrets.MasterKey is not { } master)
        {
            error = "Vault is sealed";
            return false;
        }

        try
        {
            material = master.UnwrapTransitKey(key.Name, version, info.WrappedMaterial.Span);
            opened[id] = material;
            error = null;
            return true;
        }
        catch (CryptographicException)
        {
            error = "the transit key could not be opened with this node's master key";
            stale = true;
            return false;
        }
    }

    /// <summary>Creates a key at version 1; an existing key is left as it is (Vault's answer to a repeated create).</summary>
    public async Task<Outcome<TransitKey>> CreateAsync(string name, string type, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.TransitCreateKey = new TransitCreateKeyOp { Name = name, Type = type }; // material: the leader's
        var outcome = await pipeline.SubmitOnceAsync(command, token);
        if (outcome.Error is { } error && error.Code != ConfigErrorCode.VersionMismatch)
            return error;
        return await FreshAsync(name, token);
    }

    /// <summary>Adds a version (new material) and makes it the one new encryptions use.</summary>
    public async Task<Outcome<TransitKey>> RotateAsync(string name, CancellationToken token)
    {
        var outcome = await pipeline.SubmitAsync(async ct =>
        {
            if (await FreshAsync(name, ct) is { Error: { } error })
                return error;
            var command = pipeline.NewCommand(null);
            command.TransitRotateKey = new TransitRotateKeyOp { Name = name, ExpectedVersion = Find(name)!.LatestVersion }; // material: the leader's
            return command;
        }, token);
        return outcome.Error is { } failed ? failed : await FreshAsync(name, token);
    }

    /// <summary>Changes a key's settings (absent fields keep theirs).</summary>
    public async Task<Outcome<TransitKey>> ConfigureAsync(TransitConfigureKeyOp configure, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.TransitConfigureKey = configure;
        var outcome = await pipeline.SubmitOnceAsync(command, token);
        return outcome.Error is { } error ? error : await FreshAsync(configure.Name, token);
    }

    /// <summary>Removes a key whose deletion_allowed is set.</summary>
    public async Task<ConfigError?> DeleteAsync(string name, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.TransitDeleteKey = new TransitDeleteKeyOp { Name = name };
        return (await pipeline.SubmitOnceAsync(command, token)).Error;
    }

    // The key as this node has it after catching up with the log.
    private async Task<Outcome<TransitKey>> FreshAsync(string name, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } error)
            return error;
        return Find(name) is { } key ? key : new ConfigError(ConfigErrorCode.NotFound, $"no existing key named {name} could be found");
    }

    public void Dispose()
    {
        foreach (var material in opened.Values)
            CryptographicOperations.ZeroMemory(material);
    }
}
