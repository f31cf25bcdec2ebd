using System.Security.Cryptography.X509Certificates;
using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Hosting;

/// <summary>A PEM certificate and key pair (<c>--tls-cert</c>/<c>--tls-key</c>, <c>--peer-tls-cert</c>/<c>--peer-tls-key</c>) followed on disk.</summary>
internal static class CertificateFiles
{
    /// <summary>Loads the pair now and again whenever either file changes.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The files hold no usable certificate and key.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static ReloadingPemFiles<X509Certificate2> Watch(string certFile, string keyFile) =>
        new([certFile, keyFile], () => X509Certificate2.CreateFromPemFile(certFile, keyFile), TimeProvider.System);
}
