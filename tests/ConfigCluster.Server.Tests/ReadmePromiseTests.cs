using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Promises README.md makes that no other test checked, each through the public API of real
/// node processes; split by area (<c>ReadmePromiseTests.Tokens.cs</c>, <c>.Secrets.cs</c>,
/// <c>.Startup.cs</c>, <c>.Writes.cs</c>, <c>.Operations.cs</c>). Promises tested elsewhere are not
/// repeated here: <c>/metrics</c> refusing anonymous callers (MetricsTests; a token granting every
/// capability but <c>admin</c> is checked here), YAML seed files (NodeOptionsTests), request ids over gRPC
/// (GrpcApiTests), retention by version count (OperationsTests), removing a follower (MembershipTests),
/// readiness of a node waiting to join (HealthAndDiscoveryTests).
/// </summary>
public sealed partial class ReadmePromiseTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static string TempDirectory(string prefix)
        => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "cc-tests", prefix + Guid.NewGuid().ToString("N")[..12])).FullName;

    private static IReadOnlyList<long> Versions(JsonNode? history)
        => [.. history!["versions"]!.AsArray().Select(static v => v!["version"]!.GetValue<long>())];

    private static void AssertStatus(HttpStatusCode expected, (HttpStatusCode Status, JsonNode? Body) answer, string what)
        => Assert.True(answer.Status == expected, $"{what}: expected {(int)expected}, got {(int)answer.Status} {answer.Body?.ToJsonString()}");
}
