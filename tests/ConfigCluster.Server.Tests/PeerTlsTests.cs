using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Mutual TLS between peers: members of the cluster's CA replicate; a node from another CA cannot join.</summary>
public sealed class PeerTlsTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "cc-tls-" + Guid.NewGuid().ToString("N"));

    public PeerTlsTests() => Directory.CreateDirectory(directory);

    [Fact]
    public async Task PeerTls_NodeWithCertificateFromAnotherCa_CannotJoin()
    {
        using var clusterCa = CreateCa("ConfigCluster test CA");
        using var otherCa = CreateCa("Some other CA");
        var caFile = Write("ca.pem", clusterCa.ExportCertificatePem());
        string[] NodeTls(int node, X509Certificate2 issuer)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN=node{node}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            using var certificate = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
            return ["--peer-tls-cert", Write($"n{node}.pem", certificate.ExportCertificatePem()), "--peer-tls-key", Write($"n{node}.key", key.ExportPkcs8PrivateKeyPem()), "--peer-tls-ca", caFile];
        }

        await using var cluster = await TestCluster.StartAsync(perNodeArguments: i => NodeTls(i, i == 2 ? otherCa : clusterCa), waitForLeader: false);

        // The two nodes of the cluster's CA form a majority and serve writes.
        await Eventually.WaitAsync(async () =>
        {
            var (status, _) = await cluster[0].Http.PutValueAsync("tls.key", 1);
            return status == HttpStatusCode.OK;
        }, TestCluster.StartTimeout, "a write accepted by the two trusted nodes");
        await Eventually.WaitAsync(async () => (await cluster[1].Http.GetJsonAsync("/config/tls.key?consistency=serializable")).Status == HttpStatusCode.OK,
            TestCluster.StartTimeout, "the write on the second trusted node");

        // The outsider never receives it (not even the bootstrap token: it answers the limited
        // status, without a revision) and never sees a leader.
        var outsider = await TestCluster.StatusAsync(cluster[2]);
        Assert.Equal(0, outsider["revision"]?.GetValue<long>() ?? 0);
        Assert.Null(outsider["leaderId"]?.GetValue<string>());
        var view = await TestCluster.StatusAsync(cluster[0]);
        Assert.Contains(view["members"]!.AsArray(), m => m!["raft"]!.GetValue<string>() == cluster[2].RaftEndPoint && !m["healthy"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ClientListeners_WithACertificate_ServeHttpsAndGrpcOverTls()
    {
        using var ca = CreateCa("ConfigCluster client CA");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        var (http, grpc, raft) = (PortAllocator.Next(), PortAllocator.Next(), PortAllocator.Next());

        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[ServerBinary.Path, "--node-id", "tls1", "--http", $"https://127.0.0.1:{http}", "--grpc", $"https://127.0.0.1:{grpc}",
                     "--raft", $"127.0.0.1:{raft}", "--members", $"127.0.0.1:{raft}", "--data-dir", Path.Combine(directory, "data"),
                     "--tls-cert", Write("client.pem", certificate.ExportCertificatePem()), "--tls-key", Write("client.key", key.ExportPkcs8PrivateKeyPem())])
            start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            SocketsHttpHandler TrustingCa()
            {
                var handler = new SocketsHttpHandler();
                handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return presented is not null && chain.Build(new X509Certificate2(presented));
                };
                return handler;
            }

            using var client = new HttpClient(TrustingCa()) { BaseAddress = new Uri($"https://127.0.0.1:{http}") };
            await Eventually.WaitAsync(async () => (await client.GetAsync("/health/live")).IsSuccessStatusCode, TestCluster.StartTimeout, "the https listener");
            using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(5) };
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync("/health/live"));

            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"https://127.0.0.1:{grpc}", new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = TrustingCa() });
            var status = await new Contracts.V1.Cluster.ClusterClient(channel).StatusAsync(new Contracts.V1.StatusRequest());
            Assert.Equal("tls1", status.NodeId);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, pem);
        return path;
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
