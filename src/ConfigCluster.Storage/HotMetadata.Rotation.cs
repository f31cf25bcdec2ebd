using System.Collections.Concurrent;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

internal sealed partial class HotMetadata
{
    private readonly ConcurrentDictionary<string, StoredRotationPolicy> rotationPolicies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RotationState> rotationStates = new(StringComparer.Ordinal);

    /// <summary>A rotation policy by name, or null.</summary>
    public StoredRotationPolicy? FindRotationPolicy(string name) => rotationPolicies.GetValueOrDefault(name);

    /// <summary>Every rotation policy, by name in ordinal order.</summary>
    public IReadOnlyList<StoredRotationPolicy> RotationPolicies()
        => [.. rotationPolicies.Values.OrderBy(static p => p.Policy.Name, StringComparer.Ordinal)];

    /// <summary>A key's rotation state (by its composite), or null.</summary>
    public RotationState? FindRotationState(string composite) => rotationStates.GetValueOrDefault(composite);

    /// <summary>Every key's rotation state.</summary>
    public IReadOnlyList<RotationState> RotationStates() => [.. rotationStates.Values];

    // An empty record is a deleted policy.
    private void ObserveRotation(byte tag, string name, ReadOnlySpan<byte> value)
    {
        if (tag == RecordKeys.RotationPolicyTag)
        {
            if (value.IsEmpty)
                rotationPolicies.TryRemove(name, out _);
            else
            {
                var record = RotationPolicyRecord.Parser.ParseFrom(value);
                rotationPolicies[name] = new StoredRotationPolicy(RotationPolicy.Parser.ParseFrom(record.Policy), record.SetUnixMs);
            }

            return;
        }

        var parts = name.Split('\0');
        if (value.IsEmpty || parts.Length != 3 || !KeyPath.TryCreate(parts[0], parts[1], parts[2], out var path, out _))
            rotationStates.TryRemove(name, out _);
        else
            rotationStates[name] = new RotationState(path, RotationStateRecord.Parser.ParseFrom(value));
    }
}
