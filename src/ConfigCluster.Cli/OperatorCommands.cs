using System.CommandLine;
using ConfigCluster.Core.Crypto;

namespace ConfigCluster.Cli;

/// <summary><c>operator split-key FILE --shares N --threshold K</c>: Shamir shares of a master key, offline.</summary>
internal static class OperatorCommands
{
    public static Command Operator()
    {
        var file = new Argument<string>("file") { Description = "a master key file (32 bytes, base64)" };
        var shares = new Option<int>("--shares") { Description = "how many shares to make", DefaultValueFactory = static _ => 5 };
        var threshold = new Option<int>("--threshold") { Description = "how many shares unseal a node", DefaultValueFactory = static _ => 3 };
        var split = new Command("split-key", "split a master key into key shares for POST /v1/sys/unseal (one per line; give each to a different person)") { file, shares, threshold };
        split.SetAction(parse =>
        {
            byte[] key;
            try
            {
                key = BackupEnvelope.ReadKeyFile(parse.GetValue(file)!);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"ccctl: {e.Message.Replace("backup key", "master key", StringComparison.Ordinal)}");
                return ExitCodes.Usage;
            }

            try
            {
                foreach (var share in KeyShares.Split(key, parse.GetValue(shares), parse.GetValue(threshold)))
                    Console.WriteLine(share);
                return 0;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"ccctl: {e.Message}");
                return ExitCodes.Usage;
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            }
        });
        return new Command("operator", "master key operations: split-key (offline), rotate-master") { split, RotateMaster() };
    }

    // operator rotate-master --new-key-file FILE [--prepare]
    private static Command RotateMaster()
    {
        var newKeyFile = new Option<string>("--new-key-file") { Description = "the new master key file (32 bytes, base64)", Required = true };
        var prepare = new Option<bool>("--prepare") { Description = "only give the new key to the node named by --endpoints, ahead of the rotation (it then switches without sealing)" };
        var rotate = new Command("rotate-master", "re-wrap every data key and transit key under a new master key, through the log (admin)") { newKeyFile, prepare };
        rotate.SetAction(async (parse, token) =>
        {
            byte[] key;
            try
            {
                key = BackupEnvelope.ReadKeyFile(parse.GetValue(newKeyFile)!);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"ccctl: {e.Message.Replace("backup key", "master key", StringComparison.Ordinal)}");
                return ExitCodes.Usage;
            }

            try
            {
                return await Run.With(async (parse, client, token) =>
                {
                    var status = await client.RotateMasterKeyAsync(key, parse.GetValue(prepare), token);
                    if (GlobalOptions.Json(parse))
                        Output.Json(new { keyCheck = status.KeyCheck, generation = status.Generation, dataKeys = status.DataKeys, transitKeyVersions = status.TransitKeyVersions, stagedKeyCheck = status.StagedKeyCheck, @sealed = status.Sealed });
                    else if (parse.GetValue(prepare))
                        Console.WriteLine($"next master key {status.StagedKeyCheck} staged on this node");
                    else
                        Console.WriteLine($"keyring re-wrapped under master key {status.KeyCheck} (rotation {status.Generation}): {status.DataKeys} data keys, {status.TransitKeyVersions} transit key versions");
                })(parse, token);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            }
        });
        return rotate;
    }
}
