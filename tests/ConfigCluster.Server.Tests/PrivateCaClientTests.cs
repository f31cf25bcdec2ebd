using System.Security.Cryptography.X509Certificates;
using ConfigCluster.Client;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Nodes whose gRPC endpoints carry certificates of a private CA: the SDK and ccctl trust them
/// when given the CA's PEM file (<c>CaCertificateFile</c>, <c>--cacert</c>,
/// <c>CONFIGCLUSTER_CACERT</c>), and refuse them without it or with another CA's file.
/// </summary>
public sealed class PrivateCaClientTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("cc-private-ca-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task SdkAndCcctl_TrustNodesOfAPrivateCa_OnlyWithItsFile()
    {
        using var ca = TestCertificates.CreateCa("ConfigCluster test CA");
        using var otherCa = TestCertificates.CreateCa("Some other CA");
        var caFile = Write("ca.pem", ca.ExportCertificatePem());
        var otherCaFile = Write("other-ca.pem", otherCa.ExportCertificatePem());
        await using var cluster = await TestCluster.StartAsync(beforeFirstStart: node =>
        {
            var (certificatePem, keyPem, _) = TestCertificates.Issue(ca, node.NodeId, DateTimeOffset.UtcNow.AddDays(1));
            node.ExtraArguments =
            [
                .. node.ExtraArguments,
                "--grpc", $"https://127.0.0.1:{node.GrpcPort}",
                "--tls-cert", Write($"{node.NodeId}.pem", certificatePem), "--tls-key", Write($"{node.NodeId}.key", keyPem),
            ];
            return Task.CompletedTask;
        });
        var endpoints = cluster.Nodes.Select(static n => new Uri($"https://127.0.0.1:{n.GrpcPort}")).ToList();

        ConfigClusterClientOptions Options(string? file) => new()
        {
            Endpoints = endpoints,
            Token = NodeProcess.AdminToken,
            CaCertificateFile = file,
            OperationTimeout = TimeSpan.FromSeconds(20),
        };

        // With the CA's file: a write and a read through the nodes' TLS endpoints.
        using (var trusting = new ConfigClusterClient(Options(caFile)))
        {
            await trusting.PutAsync("tls.greeting", "\"hello\"");
            Assert.Equal("\"hello\"", (await trusting.GetAsync("tls.greeting")).ValueJson);
        }

        // Without it (the system's roots) and with another CA's file: refused, nothing read or
        // written, and said at once (once every node refused the handshake), not after retrying
        // for the whole operation timeout (10 minutes here; the test waits 60 s at most).
        foreach (var file in new[] { null, otherCaFile })
        {
            var options = Options(file);
            options.OperationTimeout = TimeSpan.FromMinutes(10);
            using var refusing = new ConfigClusterClient(options);
            var refused = await Assert.ThrowsAsync<ConfigUnavailableException>(() => refusing.GetAsync("tls.greeting").WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("CaCertificateFile", refused.Message, StringComparison.Ordinal);
            Assert.Contains("SSL", refused.ToString(), StringComparison.OrdinalIgnoreCase);
            var write = await Assert.ThrowsAsync<ConfigUnavailableException>(() => refusing.PutAsync("tls.greeting", "\"refused\"").WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("TLS handshake", write.Message, StringComparison.Ordinal);
        }

        using (var trusting = new ConfigClusterClient(Options(caFile)))
            Assert.Equal("\"hello\"", (await trusting.GetAsync("tls.greeting")).ValueJson);

        // Bad settings are named when the client is made.
        Assert.Contains("http://", Assert.Throws<ArgumentException>(() => new ConfigClusterClient(new ConfigClusterClientOptions
        {
            Endpoints = [new Uri("http://127.0.0.1:1")],
            CaCertificateFile = caFile,
        })).Message, StringComparison.Ordinal);
        var empty = Write("empty.pem", "not a certificate\n");
        Assert.Contains("no PEM certificate", Assert.Throws<ArgumentException>(() => new ConfigClusterClient(Options(empty))).Message, StringComparison.Ordinal);

        // ccctl: --cacert, or CONFIGCLUSTER_CACERT; refused without.
        var https = new Dictionary<string, string> { ["CONFIGCLUSTER_ENDPOINTS"] = string.Join(',', endpoints) };
        var withFlag = await Ccctl.RunWithAsync(null, https, "--cacert", caFile, "get", "tls.greeting");
        Assert.True(withFlag.Code == 0, $"ccctl --cacert: {withFlag.Code} {withFlag.Out} {withFlag.Err}");
        Assert.Contains("hello", withFlag.Out, StringComparison.Ordinal);
        var withVariable = await Ccctl.RunWithAsync(null, new Dictionary<string, string>(https) { ["CONFIGCLUSTER_CACERT"] = caFile }, "get", "tls.greeting");
        Assert.True(withVariable.Code == 0, $"ccctl with CONFIGCLUSTER_CACERT: {withVariable.Code} {withVariable.Out} {withVariable.Err}");
        var without = await Ccctl.RunWithAsync(null, https, "get", "tls.greeting");
        Assert.NotEqual(0, without.Code);
        Assert.Contains("--cacert", without.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("hello", without.Out, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
