using System.Security.Cryptography.X509Certificates;
using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Hosting;

/// <summary>Logs each certificate reloaded from disk (which, its thumbprint and expiry) and each replaced file that could not be used.</summary>
internal sealed partial class CertificateReloadLog
{
    /// <summary>Subscribes to the node's certificate files (client listeners, peer TLS).</summary>
    public static void Attach(NodeSettings settings, ILogger<CertificateReloadLog> logger)
    {
        if (settings.ClientCertificate is { } client)
            Watch(client, "client", logger);
        if (settings.PeerTls is { } peer)
        {
            Watch(peer.CertificateFiles, "peer", logger);
            peer.TrustedRootFiles.Reloaded += roots => PeerCaReloaded(logger, roots.Count);
            peer.TrustedRootFiles.ReloadFailed += e => ReloadFailed(logger, "peer CA", e.Message.ReplaceLineEndings(" "));
        }
    }

    private static void Watch(ReloadingPemFiles<X509Certificate2> files, string which, ILogger logger)
    {
        files.Reloaded += certificate => Reloaded(logger, which, certificate.Thumbprint, certificate.NotAfter.ToUniversalTime());
        files.ReloadFailed += e => ReloadFailed(logger, which, e.Message.ReplaceLineEndings(" "));
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "The {Which} certificate changed on disk and is in use for new connections: thumbprint {Thumbprint}, expires {NotAfter:u}")]
    private static partial void Reloaded(ILogger logger, string which, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "The peer CA file changed on disk: {Count} certificates trusted for new peer connections")]
    private static partial void PeerCaReloaded(ILogger logger, int count);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "The {Which} certificate files changed but cannot be used ({Reason}); the previous certificate stays in use until they change again")]
    private static partial void ReloadFailed(ILogger logger, string which, string reason);
}
