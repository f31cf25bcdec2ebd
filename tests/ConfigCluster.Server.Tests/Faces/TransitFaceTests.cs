using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>One three-node cluster with a master key (and frequent snapshots) shared by the transit tests.</summary>
public sealed class TransitFaceCluster : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
        => Cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "20"],
            environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The transit face driven by the unchanged npm <c>node-vault</c> client against a follower; its
/// key material and plaintexts never reach a data file, log or audit line; bad input and missing
/// capabilities get Vault's codes and shapes and change nothing.
/// </summary>
public sealed class TransitFaceTests(TransitFaceCluster fixture) : IClassFixture<TransitFaceCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task NodeVault_EncryptDecryptRotateRewrapBatch_AgainstFollower_NoMaterialOrPlaintextOnDiskOrInLogs()
    {
        var cluster = fixture.Cluster;
        var follower = cluster[await cluster.FollowerAsync()];
        var plaintext = "TRANSIT" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        const string name = "orders";
        var (exitCode, output) = await NodeClients.RunAsync("vault-transit.js", new Dictionary<string, string>
        {
            ["CC_ADDR"] = follower.HttpUrl,
            ["CC_TOKEN"] = NodeProcess.AdminToken,
            ["CC_KEY"] = name,
            ["CC_PLAINTEXT"] = plaintext,
        }, Timeout);
        Assert.True(exitCode == 0, output);
        var result = JsonNode.Parse(output.Split('\n').Single(static l => l.StartsWith("RESULT ", StringComparison.Ordinal))[7..])!;
        var v1 = result["v1"]!.GetValue<string>();
        var v2 = result["v2"]!.GetValue<string>();

        // Replicated: every node decrypts what the follower encrypted (v2; v1 is retired by min_decryption_version).
        foreach (var node in cluster.Nodes)
        {
            var (status, body) = await node.Http.SendAsync(HttpMethod.Post, $"/v1/transit/decrypt/{name}", new JsonObject { ["ciphertext"] = v2 }.ToJsonString());
            Assert.True(status == HttpStatusCode.OK, $"{node.NodeId}: {(int)status} {body?.ToJsonString()}");
            Assert.Equal(plaintext, Encoding.UTF8.GetString(Convert.FromBase64String(body!["data"]!["plaintext"]!.GetValue<string>())));
        }

        // Enough writes for snapshots to be taken on every node, then scan everything each node wrote.
        for (var i = 0; i < 60; i++)
            await cluster[i % 3].Http.MustPutAsync($"filler.k{i % 10}", i);
        await cluster.WaitForConvergenceAsync(Timeout);
        var scanner = new MaterialScanner([(v1, name), (v2, name)]);
        Assert.True(scanner.SelfTest(), "the scanner finds a planted key (it can fail)");
        foreach (var node in cluster.Nodes)
        {
            Assert.Contains(Directory.GetFiles(node.DataDirectory, "*", SearchOption.AllDirectories), static f => f.Contains("audit", StringComparison.OrdinalIgnoreCase));
            await foreach (var (file, bytes) in DataFiles.ReadAllAsync(node.DataDirectory))
            {
                Assert.False(MaterialScanner.Contains(bytes, Encoding.UTF8.GetBytes(plaintext)), $"plaintext found in {file}");
                Assert.False(MaterialScanner.Contains(bytes, Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(plaintext))[..12])), $"plaintext (base64) found in {file}");
                Assert.False(scanner.FindsKey(bytes), $"transit key material found in {file}");
            }

            Assert.DoesNotContain(plaintext, node.Log);
            Assert.False(scanner.FindsKey(Encoding.UTF8.GetBytes(node.Log)), $"transit key material in the log of {node.NodeId}");
        }
    }

    [Fact]
    public async Task BadInput_AndMissingCapability_GetVaultsCodesAndShape_AndChangeNothing()
    {
        var http = fixture.Cluster[0].Http;
        var (created, _) = await http.SendAsync(HttpMethod.Post, "/v1/transit/keys/steady", "{}");
        Assert.Equal(HttpStatusCode.OK, created);
        var (_, encrypted) = await http.SendAsync(HttpMethod.Post, "/v1/transit/encrypt/steady", "{\"plaintext\": \"aGk=\"}");
        var ciphertext = encrypted!["data"]!["ciphertext"]!.GetValue<string>();
        var before = await KeyAsync(http, "steady");

        foreach (var (method, path, body, status, message) in new (string, string, string, HttpStatusCode, string)[]
        {
            ("POST", "/v1/transit/encrypt/steady", "{\"plaintext\": \"%%%\"}", HttpStatusCode.BadRequest, "failed to base64-decode plaintext"),
            ("POST", "/v1/transit/decrypt/steady", $"{{\"ciphertext\": \"{ciphertext.Replace("vault:v1:", "vault:v9:", StringComparison.Ordinal)}\"}}", HttpStatusCode.BadRequest, "invalid key version"),
            ("POST", "/v1/transit/decrypt/steady", $"{{\"ciphertext\": \"{Tamper(ciphertext)}\"}}", HttpStatusCode.BadRequest, "cipher: message authentication failed"),
            ("POST", "/v1/transit/decrypt/steady", "{\"ciphertext\": \"v1:abc\"}", HttpStatusCode.BadRequest, "invalid ciphertext: no prefix"),
            ("POST", "/v1/transit/decrypt/steady", "not json", HttpStatusCode.BadRequest, "failed to parse JSON input"),
            ("POST", "/v1/transit/keys/steady/config", "{\"min_decryption_version\": 5}", HttpStatusCode.BadRequest, "min_decryption_version"),
            ("POST", "/v1/transit/keys/steady/config", "{\"exportable\": true}", HttpStatusCode.BadRequest, "exportable"),
            ("DELETE", "/v1/transit/keys/steady", "", HttpStatusCode.BadRequest, "deletion is not allowed"),
            ("POST", "/v1/transit/keys/bad%20name", "{}", HttpStatusCode.BadRequest, "invalid key name"),
            ("POST", "/v1/transit/keys/other", "{\"type\": \"rsa-4096\"}", HttpStatusCode.BadRequest, "unknown key type"),
            ("POST", "/v1/transit/random/999999999", "", HttpStatusCode.BadRequest, "bytes"),
            ("GET", "/v1/transit/keys/absent", "", HttpStatusCode.NotFound, ""),
        })
        {
            var (actual, answer) = await http.SendAsync(new HttpMethod(method), path, body);
            Assert.True(actual == status, $"{method} {path}: {(int)actual} {answer?.ToJsonString()}");
            var errors = answer!["errors"]!.AsArray();
            if (message.Length > 0)
                Assert.Contains(message, errors[0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(before.ToJsonString(), (await KeyAsync(http, "steady")).ToJsonString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(HttpMethod.Get, "/v1/transit/keys/other", "")).Status);

        // Capabilities per operation on transit/<name>: read decrypts, write encrypts.
        var reader = await fixture.Cluster.CreateTokenAsync("transit-reader", new TestRule("transit/steady", "*", "read"));
        using var client = new HttpClient { BaseAddress = new Uri(fixture.Cluster[2].HttpUrl) };
        client.DefaultRequestHeaders.Add("X-Vault-Token", reader);
        using (var decrypt = await client.PostAsync("/v1/transit/decrypt/steady", new StringContent($"{{\"ciphertext\": \"{ciphertext}\"}}")))
            Assert.Equal(HttpStatusCode.OK, decrypt.StatusCode);
        using (var encrypt = await client.PostAsync("/v1/transit/encrypt/steady", new StringContent("{\"plaintext\": \"aGk=\"}")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, encrypt.StatusCode);
            Assert.Equal("{\"errors\":[\"permission denied\"]}", await encrypt.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task ChaCha20Poly1305Key_EncryptsOnOneNode_DecryptsOnAnother()
    {
        var (created, body) = await fixture.Cluster[1].Http.SendAsync(HttpMethod.Post, "/v1/transit/keys/stream", "{\"type\": \"chacha20-poly1305\"}");
        Assert.True(created == HttpStatusCode.OK, body?.ToJsonString());
        Assert.Equal("chacha20-poly1305", body!["data"]!["type"]!.GetValue<string>());
        var (_, encrypted) = await fixture.Cluster[1].Http.SendAsync(HttpMethod.Post, "/v1/transit/encrypt/stream", "{\"plaintext\": \"Y2hhY2hh\", \"context\": \"dGVuYW50\"}");
        var ciphertext = encrypted!["data"]!["ciphertext"]!.GetValue<string>();
        var (status, decrypted) = await fixture.Cluster[2].Http.SendAsync(HttpMethod.Post, "/v1/transit/decrypt/stream", new JsonObject { ["ciphertext"] = ciphertext, ["context"] = "dGVuYW50" }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, decrypted?.ToJsonString());
        Assert.Equal("Y2hhY2hh", decrypted!["data"]!["plaintext"]!.GetValue<string>());
    }

    private static async Task<JsonNode> KeyAsync(HttpClient http, string name)
    {
        var (status, body) = await http.SendAsync(HttpMethod.Get, $"/v1/transit/keys/{name}", "");
        Assert.Equal(HttpStatusCode.OK, status);
        return body!["data"]!;
    }

    private static string Tamper(string ciphertext)
    {
        var data = Convert.FromBase64String(ciphertext["vault:v1:".Length..]);
        data[^1] ^= 0x01;
        return "vault:v1:" + Convert.ToBase64String(data);
    }
}

/// <summary>
/// Looks for transit key material without knowing it: tries every 32-byte window of a file as
/// the AES-256-GCM key of known ciphertexts (Vault layout, associated data = key name and 0).
/// Windows with a run of zero bytes are skipped (a random key has none in practice).
/// </summary>
internal sealed class MaterialScanner(IReadOnlyList<(string Ciphertext, string KeyName)> samples)
{
    private readonly List<(byte[] Nonce, byte[] Data, byte[] Tag, byte[] Aad)> parsed = [.. samples.Select(static s =>
    {
        var data = Convert.FromBase64String(s.Ciphertext[(s.Ciphertext.IndexOf(':', 7) + 1)..]);
        return (data[..12], data[12..^16], data[^16..], (byte[])[.. Encoding.UTF8.GetBytes(s.KeyName), 0]);
    })];

    public bool FindsKey(byte[] bytes)
    {
        var plaintext = new byte[parsed.Max(static p => p.Data.Length)];
        for (var i = 0; i + 32 <= bytes.Length; i++)
        {
            if (HasZeroRun(bytes.AsSpan(i, 32)))
                continue;
            using var aes = new AesGcm(bytes.AsSpan(i, 32), 16);
            foreach (var (nonce, data, tag, aad) in parsed)
            {
                try
                {
                    aes.Decrypt(nonce, data, tag, plaintext.AsSpan(0, data.Length), aad);
                    return true;
                }
                catch (AuthenticationTagMismatchException)
                {
                }
            }
        }

        return false;
    }

    /// <summary>Plants a fresh key in noise with a ciphertext of its own and checks it is found.</summary>
    public bool SelfTest()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var data = new byte[5];
        var tag = new byte[16];
        using (var aes = new AesGcm(key, 16))
            aes.Encrypt(nonce, "probe"u8, data, tag, [.. "probe"u8, 0]);
        var planted = new MaterialScanner([("vault:v1:" + Convert.ToBase64String([.. nonce, .. data, .. tag]), "probe")]);
        return planted.FindsKey([.. RandomNumberGenerator.GetBytes(777), .. key, .. RandomNumberGenerator.GetBytes(333)]);
    }

    public static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static bool HasZeroRun(ReadOnlySpan<byte> window)
    {
        for (var i = 0; i + 3 < window.Length; i++)
        {
            if (window[i] == 0 && window[i + 1] == 0 && window[i + 2] == 0 && window[i + 3] == 0)
                return true;
        }

        return false;
    }
}
