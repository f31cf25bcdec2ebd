using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// Reads the peer TLS files (PEM): all three options together, or none. They are read again when
/// they change on disk (see <see cref="ReloadingPemFiles{T}"/>).
/// </summary>
public static class PeerTlsLoader
{
    public static bool TryLoad(string? certFile, string? keyFile, string? caFile, out PeerTls? tls, [NotNullWhen(false)] out string? error)
    {
        tls = null;
        error = null;
        if (certFile is null && keyFile is null && caFile is null)
            return true;
        if (certFile is null || keyFile is null || caFile is null)
        {
            error = "--peer-tls-cert, --peer-tls-key and --peer-tls-ca go together";
            return false;
        }

        try
        {
            var certificate = CertificateFiles.Watch(certFile, keyFile);
            var roots = new ReloadingPemFiles<X509Certificate2Collection>([caFile], () => ReadRoots(caFile), TimeProvider.System);
            tls = new PeerTls(certificate, roots);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            error = $"--peer-tls-cert/--peer-tls-key/--peer-tls-ca: {e.Message.ReplaceLineEndings(" ")}";
            return false;
        }
    }

    private static X509Certificate2Collection ReadRoots(string caFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        return roots.Count == 0 ? throw new CryptographicException($"--peer-tls-ca: no certificate in {caFile}") : roots;
    }
}
