using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Certificates replaced on disk are served to new connections without a restart (client listeners and peer mTLS).</summary>
public sealed partial class CertificateReloadTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "cc-rotate-" + Guid.NewGuid().ToString("N"));

    public CertificateReloadTests() => Directory.CreateDirectory(directory);

    [Fact]
    public async Task ReplacedCertificateFiles_RunningCluster_NewConnectionsSeeNewCertificatesWhileWritesCommit()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var ca = TestCertificates.CreateCa("ConfigCluster rotation CA");
        var caFile = Write("ca.pem", ca.ExportCertificatePem());
        var firstExpiry = DateTimeOffset.UtcNow.AddDays(10);
        var secondExpiry = DateTimeOffset.UtcNow.AddDays(20);
        var clientCertificates = new Dictionary<string, X509Certificate2>();
        var peerCertificates = new Dictionary<string, X509Certificate2>();

        // Both files of a pair are swapped in by rename, key first: a node may catch the new key
        // beside the old certificate, which it must refuse while it keeps serving the old pair.
        void Install(string node, string kind, DateTimeOffset notAfter)
        {
            var (certificatePem, keyPem, certificate) = TestCertificates.Issue(ca, $"{node}-{kind}", notAfter);
            Replace($"{node}-{kind}.key", keyPem);
            Replace($"{node}-{kind}.pem", certificatePem);
            (kind == "client" ? clientCertificates : peerCertificates)[node] = certificate;
        }

        await using var cluster = await TestCluster.StartAsync(beforeFirstStart: node =>
        {
            Install(node.NodeId, "client", firstExpiry);
            Install(node.NodeId, "peer", firstExpiry);
            node.ExtraArguments =
            [
                .. node.ExtraArguments,
                "--grpc", $"https://127.0.0.1:{node.GrpcPort}",
                "--tls-cert", Path.Combine(directory, $"{node.NodeId}-client.pem"), "--tls-key", Path.Combine(directory, $"{node.NodeId}-client.key"),
                "--peer-tls-cert", Path.Combine(directory, $"{node.NodeId}-peer.pem"), "--peer-tls-key", Path.Combine(directory, $"{node.NodeId}-peer.key"),
                "--peer-tls-ca", caFile,
            ];
            return Task.CompletedTask;
        });
        // Peers must present a certificate of the CA: the probe of the Raft port does too.
        var (probePem, probeKeyPem, _) = TestCertificates.Issue(ca, "probe", DateTimeOffset.UtcNow.AddDays(1));
        using var probe = X509Certificate2.CreateFromPem(probePem, probeKeyPem);

        async Task<bool> AllPresentAsync()
        {
            foreach (var node in cluster.Nodes)
            {
                if (await TestCertificates.PresentedThumbprintAsync(node.GrpcPort, ca, null, deadline.Token) != clientCertificates[node.NodeId].Thumbprint)
                    return false;
                if (await TestCertificates.PresentedThumbprintAsync(node.RaftPort, ca, probe, deadline.Token) != peerCertificates[node.NodeId].Thumbprint)
                    return false;
            }

            return true;
        }

        Assert.True(await AllPresentAsync(), "every node presents the certificates it started with");
        await cluster[0].Http.MustPutAsync("rotation.before", 1);

        // A writer keeps going through every node (followers forward to the leader over the peer
        // channel, itself TLS checked against the CA) while the files are replaced. A write may
        // fail while leadership moves (this machine is loaded); what must hold is that writes
        // keep committing through every node once the new certificates are in use.
        using var stopWriting = new CancellationTokenSource();
        var committed = new int[3];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stopWriting.IsCancellationRequested; i++)
            {
                var (status, body) = await cluster[i % 3].Http.PutValueAsync($"rotation.w{i % 20}", i);
                if (status == System.Net.HttpStatusCode.OK)
                    Interlocked.Increment(ref committed[i % 3]);
                else
                    failures.Enqueue($"{cluster[i % 3].NodeId}: {(int)status} {body}");
            }
        }, deadline.Token);

        await Eventually.WaitAsync(() => committed.Sum() >= 5, TimeSpan.FromSeconds(30), "writes before the rotation");
        foreach (var node in cluster.Nodes)
        {
            Install(node.NodeId, "client", secondExpiry);
            Install(node.NodeId, "peer", secondExpiry);
        }

        await Eventually.WaitAsync(AllPresentAsync, TimeSpan.FromSeconds(30), "every node to present its replaced client and peer certificates on new connections");
        var afterRotation = committed.ToArray();
        try
        {
            await Eventually.WaitAsync(() => Enumerable.Range(0, 3).All(n => Volatile.Read(ref committed[n]) >= afterRotation[n] + 5), TimeSpan.FromSeconds(60),
                "writes through every node to keep committing after the rotation");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; failed writes: {string.Join("; ", failures.TakeLast(5))}\n{cluster.Logs()}", e);
        }
        await stopWriting.CancelAsync();
        await writer;

        // A real gRPC client over TLS sees the new certificate, and the expiry gauge reports it.
        foreach (var node in cluster.Nodes)
        {
            var handler = new SocketsHttpHandler();
            string? seen = null;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            {
                seen = presented is null ? null : new X509Certificate2(presented).Thumbprint;
                return TestCertificates.ChainsTo(presented, ca);
            };
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"https://127.0.0.1:{node.GrpcPort}", new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
            var status = await new Contracts.V1.Cluster.ClusterClient(channel).StatusAsync(new Contracts.V1.StatusRequest(), cancellationToken: deadline.Token);
            Assert.Equal(node.NodeId, status.NodeId);
            Assert.Equal(clientCertificates[node.NodeId].Thumbprint, seen);

            var metrics = await node.Http.GetStringAsync("/metrics", deadline.Token);
            Assert.Equal(secondExpiry.ToUnixTimeSeconds(), Expiry(metrics, "client"));
            Assert.Equal(secondExpiry.ToUnixTimeSeconds(), Expiry(metrics, "peer"));
        }

        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(30));
    }

    private static long Expiry(string metrics, string certificate)
    {
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith("configcluster_tls_certificate_expiry_seconds{", StringComparison.Ordinal) && l.Contains($"certificate=\"{certificate}\"", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no expiry gauge for the {certificate} certificate in:\n{metrics}");
        return (long)double.Parse(GaugeValue().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\}\s+(\S+)")]
    private static partial Regex GaugeValue();

    private string Write(string name, string pem)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, pem);
        return path;
    }

    private void Replace(string name, string pem)
    {
        var staged = Write(name + ".new", pem);
        File.Move(staged, Path.Combine(directory, name), overwrite: true);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
