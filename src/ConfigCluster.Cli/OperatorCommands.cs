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
        return new Command("operator", "master key operations done offline") { split };
    }
}
