using ConfigCluster.Core.Crypto;

namespace ConfigCluster.Server.Secrets;

/// <summary>Where an unseal stands: sealed or not, and with key shares how many of how many were given.</summary>
public sealed record UnsealStatus(bool Sealed, int Threshold, int Count, int Progress);

/// <summary>
/// Unsealing this node: with the master key itself, or share by share (<see cref="KeyShares"/>)
/// until the threshold is reached. Shares given so far live only in memory and are forgotten on
/// success, on reset and when a share from another split arrives.
/// </summary>
public sealed class Unsealing(SecretKeyring keyring)
{
    private readonly Lock gate = new();
    private readonly List<string> shares = [];

    /// <summary>The status as Vault's seal-status reports it.</summary>
    public UnsealStatus Status
    {
        get
        {
            lock (gate)
            {
                var (threshold, count) = shares.Count > 0 ? Describe(shares[0]) : (1, 1);
                return new UnsealStatus(keyring.SealedReason is not null, threshold, count, shares.Count);
            }
        }
    }

    /// <summary>Forgets the shares given so far.</summary>
    public void Reset()
    {
        lock (gate)
            shares.Clear();
    }

    /// <summary>Takes one key or share (base64); returns the new status, or an error (nothing changed but a reset of shares from another split).</summary>
    public (UnsealStatus? Status, string? Error) Submit(string text)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            return (null, "the key is not base64");
        }

        if (keyring.SealedReason is null)
            return (Status, null);
        if (bytes.Length == MasterKey.Size)
            return Unseal(bytes);

        lock (gate)
        {
            try
            {
                var described = KeyShares.Describe(text);
                if (shares.Count > 0 && Describe(shares[0]) != (described.Threshold, described.Count))
                    shares.Clear();
                if (shares.Any(s => KeyShares.Describe(s).X == described.X))
                    return (Status, null); // the same share again changes nothing
                shares.Add(text.Trim());
                if (shares.Count < described.Threshold)
                    return (Status, null);
                var key = KeyShares.Combine(shares);
                shares.Clear();
                return Unseal(key);
            }
            catch (FormatException e)
            {
                return (null, e.Message);
            }
        }
    }

    private (UnsealStatus? Status, string? Error) Unseal(byte[] bytes)
    {
        var key = new MasterKey(bytes);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        return keyring.TryUnseal(key, out var error) ? (Status, null) : (null, error);
    }

    private static (int Threshold, int Count) Describe(string share)
    {
        var (threshold, count, _) = KeyShares.Describe(share);
        return (threshold, count);
    }
}
