using System.Security.Cryptography;
using ConfigCluster.Core.Crypto;

namespace ConfigCluster.Server.Secrets;

/// <summary>
/// Finds the master key: <c>CONFIGCLUSTER_MASTER_KEY</c> (base64 of 32 bytes), else
/// <c>--master-key-file</c>, else — only with <c>--dev</c> — a key generated into the data
/// directory. Without one the node runs sealed: plain config works, secrets do not.
/// </summary>
public static class MasterKeySource
{
    public const string DevKeyFileName = "dev-master.key";

    /// <summary>The master key, or null with the reason the node is sealed.</summary>
    public static (MasterKey? Key, string? SealedReason, bool Generated) Load(NodeSettings settings, Func<string, string?> environment)
    {
        if (environment("CONFIGCLUSTER_MASTER_KEY") is { Length: > 0 } fromEnvironment)
        {
            return MasterKey.TryParse(fromEnvironment, out var key, out var error)
                ? (key, null, false)
                : (null, $"CONFIGCLUSTER_MASTER_KEY is unusable: {error}", false);
        }

        if (settings.MasterKeyFile is { } file)
            return FromFile(file);

        if (settings.Dev)
        {
            var devFile = Path.Combine(settings.DataDirectory, DevKeyFileName);
            if (!File.Exists(devFile))
            {
                File.WriteAllText(devFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(MasterKey.Size)));
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(devFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                var (key, reason, _) = FromFile(devFile);
                return (key, reason, true);
            }

            return FromFile(devFile);
        }

        return (null, "no master key was given (set CONFIGCLUSTER_MASTER_KEY or --master-key-file)", false);
    }

    private static (MasterKey?, string?, bool) FromFile(string file)
    {
        try
        {
            return MasterKey.TryParse(File.ReadAllText(file), out var key, out var error)
                ? (key, null, false)
                : (null, $"--master-key-file {file}: {error}", false);
        }
        catch (IOException e)
        {
            return (null, $"--master-key-file {file}: {e.Message}", false);
        }
    }
}
