using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Secrets;
using Google.Protobuf;

namespace ConfigCluster.Server.Faces.Transit;

/// <summary>
/// Draws new transit key material on the leader at proposal time and seals it under the master
/// key (associated data: key name and the version it becomes) before the command enters the log.
/// A leader without the master key leaves it empty, and apply refuses the command.
/// </summary>
internal sealed class TransitMaterialPreparer(SecretKeyring secrets) : IProposalPreparer
{
    public void Prepare(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (secrets.MasterKey is not { } master)
            return;
        switch (command.OpCase)
        {
            case Command.OpOneofCase.TransitCreateKey when command.TransitCreateKey.WrappedMaterial.IsEmpty:
                command.TransitCreateKey.WrappedMaterial = ByteString.CopyFrom(master.NewWrappedTransitKey(command.TransitCreateKey.Name, 1, TransitCipher.MaterialSize));
                command.TransitCreateKey.MasterKeyCheck = ByteString.CopyFrom(master.KeyCheck.Span);
                break;
            case Command.OpOneofCase.TransitRotateKey when command.TransitRotateKey.WrappedMaterial.IsEmpty:
                var rotate = command.TransitRotateKey;
                rotate.WrappedMaterial = ByteString.CopyFrom(master.NewWrappedTransitKey(rotate.Name, rotate.ExpectedVersion + 1, TransitCipher.MaterialSize));
                rotate.MasterKeyCheck = ByteString.CopyFrom(master.KeyCheck.Span);
                break;
        }
    }
}
