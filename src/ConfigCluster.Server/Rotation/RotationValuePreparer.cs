using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Core.Rotation;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Rotation;

/// <summary>
/// Draws a rotated secret's new value on the leader at proposal time (whether the rotation was
/// asked for here or forwarded by a follower) and seals it for the version it becomes before
/// the command enters the log, as transit key material is: the log, WAL and snapshots only ever
/// hold the envelope, and apply draws nothing. A leader that cannot seal (no master key) leaves
/// the value empty and apply refuses the rotation, which the scheduler then reports and retries.
/// A database generator's value is the static role's current password (the rotation changed it
/// in the database before proposing); without one (role gone, no password yet) the value stays
/// empty and apply refuses the rotation the same way.
/// </summary>
internal sealed class RotationValuePreparer(SecretKeyring keyring, IVersionedStore store) : IProposalPreparer
{
    public void Prepare(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.OpCase != Command.OpOneofCase.RotateSecret || !command.RotateSecret.Value.IsEmpty)
            return;
        var rotate = command.RotateSecret;
        if (keyring.MasterKey is null || !KeyPath.TryFrom(rotate.Key, out var path, out _) || !RotationRules.TryValidateGenerator(rotate.Generator, out _))
            return;
        var plaintext = Draw(rotate);
        if (plaintext is null)
            return;
        try
        {
            if (keyring.TrySeal(plaintext, path, rotate.ExpectedVersion + 1, out var envelope, out var fingerprint, out _))
            {
                rotate.Value = ByteString.CopyFrom(envelope);
                rotate.Fingerprint = ByteString.CopyFrom(fingerprint);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private byte[]? Draw(RotateSecretOp rotate)
    {
        if (rotate.Generator.KindCase != RotationGenerator.KindOneofCase.Database)
            return RotationGenerators.Generate(rotate.Generator);
        if (Faces.Database.DatabaseEngine.CurrentStaticPassword(store, keyring, rotate.Generator.Database.StaticRole) is not var (password, generation))
            return null;
        try
        {
            rotate.SourceGeneration = generation;
            return RotationGenerators.JsonString(password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }
}
