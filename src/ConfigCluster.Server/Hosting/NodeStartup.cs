using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ConfigCluster.Server.Seed;
using Microsoft.Extensions.Options;

namespace ConfigCluster.Server.Hosting;

/// <summary>A node cannot start with what it was given; the message is one line naming the option.</summary>
public sealed class NodeStartupException(string message) : Exception(message);

/// <summary>
/// What happens once, when the node starts, after its options were validated: the data
/// directory is created, certificates are loaded, the seed file is read. Failures are
/// <see cref="NodeStartupException"/>s naming the option.
/// </summary>
internal static class NodeStartup
{
    /// <summary>The node's settings, ready to run with (resolved as a singleton).</summary>
    /// <exception cref="OptionsValidationException">An option is invalid.</exception>
    /// <exception cref="NodeStartupException">A directory or certificate cannot be used.</exception>
    public static NodeSettings Prepare(IOptions<NodeOptions> bound)
    {
        var options = bound.Value; // runs NodeOptionsValidator
        if (!NodeOptionsValidator.TryRead(options, out var settings, out var error))
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(NodeOptions), [error]);
        try
        {
            Directory.CreateDirectory(settings.DataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new NodeStartupException($"--data-dir: cannot create '{settings.DataDirectory}': {e.Message.ReplaceLineEndings(" ")}");
        }

        if (!PeerTlsLoader.TryLoad(options.PeerTlsCert, options.PeerTlsKey, options.PeerTlsCa, out var peerTls, out error))
            throw new NodeStartupException(error);
        return settings with { PeerTls = peerTls, ClientCertificate = LoadClientCertificate(options) };
    }

    /// <summary>The seed file's entries (registered only when <c>--seed-file</c> is set).</summary>
    public static IReadOnlyList<SeedEntry> ReadSeed(NodeSettings settings)
    {
        try
        {
            return SeedFileReader.Read(settings.SeedFile!);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new NodeStartupException($"--seed-file: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static Consensus.ReloadingPemFiles<X509Certificate2>? LoadClientCertificate(NodeOptions options)
    {
        if (options.TlsCert is null || options.TlsKey is null)
            return null;
        try
        {
            return CertificateFiles.Watch(options.TlsCert, options.TlsKey);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new NodeStartupException($"--tls-cert/--tls-key: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
