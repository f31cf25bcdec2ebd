using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Server.Tests.Auth;

// The JWT method's jwks_url: the key set fetched over HTTPS from a server whose certificate chains
// to the configured jwks_ca_pem, cached by each node, bad URLs and untrusted servers refused.
public sealed partial class MachineLoginTests
{
    [Fact]
    public async Task JwksUrl_KeysFetchedOverHttpsFromATrustedCa_CachedPerNode_BadOnesRefusedChangingNothing()
    {
        using var ca = TestCertificates.CreateCa("jwks-ca");
        var (certificatePem, keyPem, issued) = TestCertificates.Issue(ca, "jwks-server", DateTimeOffset.UtcNow.AddHours(1));
        issued.Dispose();
        using var serverCertificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        var port = PortAllocator.Next();
        var fetches = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(serverCertificate)));
        await using var jwksServer = builder.Build();
        jwksServer.MapGet("/keys", () =>
        {
            Interlocked.Increment(ref fetches);
            return Results.Text(fixture.Keys.EcJwks, "application/json");
        });
        await jwksServer.StartAsync();
        var url = $"https://127.0.0.1:{port}/keys";

        using var admin = Vault(Cluster[0], NodeProcess.AdminToken);
        var config = new JsonObject { ["jwks_url"] = url, ["jwks_ca_pem"] = ca.ExportCertificatePem(), ["bound_issuer"] = TestJwt.Issuer };
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/jwt/config", config.ToJsonString());
        Assert.True(Volatile.Read(ref fetches) >= 1, "the config write fetches the key set once to check it");
        Assert.Equal(url, (await MustAsync(admin, HttpMethod.Get, "/v1/auth/jwt/config"))!["data"]!["jwks_url"]!.GetValue<string>());
        await MustAsync(admin, HttpMethod.Post, "/v1/auth/jwt/role/jwks-web", $"{{\"bound_audiences\": \"{TestJwt.Audience}\", \"bound_subject\": \"system:serviceaccount:shop:web\", \"token_policies\": \"app-read\"}}");

        var jwt = fixture.Keys.SignEs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10)));
        async Task LoginEverywhereAsync()
        {
            foreach (var node in Cluster.Nodes)
            {
                (HttpStatusCode Status, JsonNode? Body) login = default;
                // The config reaches each node through the log; until then its login has no key set.
                await Eventually.WaitAsync(async () => (login = await JwtLoginAsync(node, "jwks-web", jwt)).Status == HttpStatusCode.OK, Timeout, "a jwks_url login on " + node.NodeId);
                Assert.Equal(["app-read"], login.Body!["auth"]!["policies"]!.AsArray().Select(static p => p!.GetValue<string>()));
            }
        }

        await LoginEverywhereAsync();
        var afterFirst = Volatile.Read(ref fetches);
        Assert.InRange(afterFirst, 2, 5);   // the config check, then at most one per node
        await LoginEverywhereAsync();
        Assert.Equal(afterFirst, Volatile.Read(ref fetches));   // each node kept its copy

        // A key the set does not hold is refused.
        var (status, body) = await JwtLoginAsync(Cluster[1], "jwks-web", fixture.Keys.SignRs256(TestJwt.ServiceAccount("shop", "web", TimeSpan.FromMinutes(10))));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("signature", body!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var closed = PortAllocator.Next();
        var cases = new (JsonObject Body, string Error)[]
        {
            (new JsonObject { ["jwks_url"] = url }, "could not fetch the key set from jwks_url"),   // the system's roots do not trust the test CA
            (new JsonObject { ["jwks_url"] = $"https://127.0.0.1:{closed}/keys", ["jwks_ca_pem"] = ca.ExportCertificatePem() }, "could not fetch the key set from jwks_url"),
            (new JsonObject { ["jwks_url"] = url, ["jwks_ca_pem"] = "not a certificate" }, "jwks_ca_pem is not a PEM certificate"),
            (new JsonObject { ["jwks_url"] = $"http://127.0.0.1:{port}/keys" }, "jwks_url must be an https:// URL"),
            (new JsonObject { ["jwks_url"] = url, ["jwks_ca_pem"] = ca.ExportCertificatePem(), ["jwks"] = fixture.Keys.EcJwks }, "not both"),
        };
        foreach (var (bad, error) in cases)
        {
            var (badStatus, answer) = await admin.SendAsync(HttpMethod.Post, "/v1/auth/jwt/config", bad.ToJsonString());
            Assert.True(badStatus == HttpStatusCode.BadRequest, $"{bad.ToJsonString()}: {(int)badStatus}");
            Assert.Contains(error, answer!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var kept = (await MustAsync(admin, HttpMethod.Get, "/v1/auth/jwt/config"))!["data"]!;
        Assert.Equal(url, kept["jwks_url"]!.GetValue<string>());
        Assert.Equal(ca.ExportCertificatePem(), kept["jwks_ca_pem"]!.GetValue<string>());
        await jwksServer.StopAsync();
    }
}
