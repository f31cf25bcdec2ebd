using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ConfigCluster.Server.Tests.Deploy;

/// <summary>
/// HTTPS to the compose cluster: trusts only the CA that deploy/gen-certs.sh made (no system
/// roots), and still checks the name the node's certificate carries.
/// </summary>
internal static class ClusterCa
{
    /// <summary>deploy/.certs/ca.pem under <paramref name="root"/>: what the README's <c>up</c> block makes.</summary>
    public static string File(string root) => Path.Combine(root, "deploy", ".certs", "ca.pem");

    public static HttpClient Client(string caFile, int port, TimeSpan timeout)
        => new(Handler(caFile)) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = timeout };

    public static SocketsHttpHandler Handler(string caFile)
    {
        var ca = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(caFile));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
            !errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) && !errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)
            && Harness.TestCertificates.ChainsTo(presented, ca);
        return handler;
    }
}
