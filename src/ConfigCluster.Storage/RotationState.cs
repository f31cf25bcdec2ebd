using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

/// <summary>A rotation policy as replicated, with the command timestamp it was set at (its generation).</summary>
public sealed record StoredRotationPolicy(RotationPolicy Policy, long SetUnixMs);

/// <summary>One secret key's rotation schedule and outcomes as replicated (times are command timestamps).</summary>
/// <param name="Record">The replicated record; treat it as read-only.</param>
public sealed record RotationState(KeyPath Path, RotationStateRecord Record);
