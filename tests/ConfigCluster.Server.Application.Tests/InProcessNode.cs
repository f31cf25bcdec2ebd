using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ConfigCluster.Server.Application.Tests;

/// <summary>
/// The application layer of one node, in process: a real store and keyring, the real pipeline
/// and access gate, with consensus replaced by <see cref="LocalLog"/> (apply at the next index)
/// and time by a <see cref="FakeTimeProvider"/>. Each test makes its own.
/// </summary>
internal sealed class InProcessNode : IDisposable
{
    public const string Policy = "under-test";

    private readonly string directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cc-app-" + Guid.NewGuid().ToString("N"));
    private readonly FasterVersionedStore store;
    private readonly SecretKeyring keyring;
    private readonly AuditLog audit;

    public InProcessNode(bool sealedKeyring = false)
    {
        Directory.CreateDirectory(directory);
        store = FasterVersionedStore.Open(new StoreOptions { Directory = System.IO.Path.Combine(directory, "store"), IndexSizeBytes = 1L << 20, LogMemoryBytes = 1L << 24, PageSizeBytes = 1L << 16, MaxStoredValueBytes = (1 << 16) - StoreOptions.RecordOverheadBytes });
        Log = new LocalLog(store);
        var settings = new NodeSettings
        {
            NodeId = "n1",
            HttpUrl = new Uri("http://127.0.0.1:1"),
            GrpcUrl = new Uri("http://127.0.0.1:2"),
            RaftEndPoint = new IPEndPoint(IPAddress.Loopback, 3),
            Members = [new IPEndPoint(IPAddress.Loopback, 3)],
            DataDirectory = directory,
        };
        keyring = new SecretKeyring(new MasterKey(RandomNumberGenerator.GetBytes(32)), sealedKeyring ? "no master key (test)" : null, store, NullLogger<SecretKeyring>.Instance);
        var secret = ClusterSecret.Load(directory, name => name == "CONFIGCLUSTER_CLUSTER_SECRET" ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) : null);
        audit = new AuditLog(directory, secret, Microsoft.Extensions.Options.Options.Create(new AuditOptions()), NullLogger<AuditLog>.Instance);
        var gate = new AccessGate(new TokenAuthenticator(store, Clock), new PolicyEvaluator(store), audit, settings, Clock, NullLogger<AccessGate>.Instance, Barrier);
        Pipeline = new WritePipeline(Log, Barrier, Clock);
        var sealer = new SecretSealer(keyring, Pipeline);
        var builder = new WriteBuilder(store, sealer, settings);
        var access = new ItemAccess(gate);
        Config = new ConfigService(store, Pipeline, builder, sealer, Barrier, access);
        Environments = new EnvironmentService(store, Pipeline, builder, sealer, access);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public LocalLog Log { get; }

    public CountingBarrier Barrier { get; } = new();

    public WritePipeline Pipeline { get; }

    public ConfigService Config { get; }

    public EnvironmentService Environments { get; }

    public IVersionedStore Store => store;

    /// <summary>The audit file's lines so far.</summary>
    public string[] AuditLines() => File.Exists(audit.Path) ? File.ReadAllLines(audit.Path) : [];

    public static KeyPath Path(string key, string env = KeyPath.DefaultScope)
        => KeyPath.TryCreate(null, env, key, out var path, out var error) ? path : throw new ArgumentException(error, nameof(key));

    /// <summary>Makes <see cref="Policy"/> hold <paramref name="rules"/> and the current async flow its caller's.</summary>
    public void ActAs(params PolicyRule[] rules)
    {
        var command = new Command { PutPolicy = new PutPolicyOp { Name = Policy, Rules = { rules } } };
        Assert.Equal(ResultCode.ResultOk, Log.ApplyDirect(command).Code);
        CallerIdentity.Current = new CallerIdentity("tester", "acc-1", [Policy]);
    }

    public static PolicyRule Rule(string path, string env, params string[] capabilities)
        => new() { Path = path, Namespace = "*", Environment = env, Capabilities = { capabilities } };

    /// <summary>Writes as the admin would (no caller), failing the test on an error.</summary>
    public async Task<WriteResult> MustPutAsync(string key, string json, string env = KeyPath.DefaultScope, bool secret = false)
    {
        var caller = CallerIdentity.Current;
        CallerIdentity.Current = null;
        try
        {
            var outcome = await Config.PutAsync(Path(key, env), json, secret, null, null, CancellationToken.None);
            Assert.True(outcome.IsSuccess, outcome.Error?.Message);
            return outcome.Value!;
        }
        finally
        {
            CallerIdentity.Current = caller;
        }
    }

    public void Dispose()
    {
        CallerIdentity.Current = null;
        audit.Dispose();
        keyring.Dispose();
        store.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
