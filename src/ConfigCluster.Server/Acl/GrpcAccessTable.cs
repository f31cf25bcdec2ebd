using System.Reflection;
using ConfigCluster.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using ContractKeyPath = ConfigCluster.Contracts.V1.KeyPath;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// The gRPC half of the access declarations: one entry per public method (full name →
/// capability and where its namespace, environment and key are in the request), checked against
/// the service descriptors of the contract at start (<see cref="Undeclared"/>) and by the
/// route-matrix test. A method with no entry that is not open needs <c>admin</c> on the cluster.
/// </summary>
public static partial class GrpcAccessTable
{
    /// <summary>Methods that need no token: the limited cluster status (it checks tokens itself for more).</summary>
    public static readonly IReadOnlySet<string> OpenMethods = new HashSet<string>(StringComparer.Ordinal) { "/configcluster.v1.Cluster/Status" };

    /// <summary>Services that need no token: node-to-node calls (signed separately) and the gRPC health probe.</summary>
    public static readonly IReadOnlyList<string> OpenServices = ["configcluster.internal.v1.Peer", "grpc.health.v1.Health"];

    private static readonly Dictionary<string, Entry> Entries = Build();

    /// <summary>Whether <paramref name="method"/> (<c>/package.Service/Method</c>) needs no token.</summary>
    public static bool IsOpen(string method)
    {
        if (OpenMethods.Contains(method))
            return true;
        foreach (var service in OpenServices)
        {
            if (method.Length > service.Length + 1 && method[0] == '/' && method[service.Length + 1] == '/' && method.AsSpan(1, service.Length).SequenceEqual(service))
                return true;
        }

        return false;
    }

    /// <summary>
    /// What <paramref name="method"/> needs for <paramref name="request"/>; for a streamed request
    /// (null), what opening the stream needs. <c>admin</c> when the method is not in the table, or
    /// is streamed and declares no opening rule.
    /// </summary>
    public static AccessRequest Describe(string method, object? request)
    {
        if (Entries.TryGetValue(method, out var entry))
        {
            if (request is IMessage message && message.Descriptor == entry.Input)
                return entry.Describe(message);
            if (request is null && entry.Opening is { } opening)
                return opening;
        }

        return new AccessRequest(method, Capability.Admin, "*", "*", null);
    }

    /// <summary>Public contract methods that are neither in the table nor open, and entries whose request type does not match the contract.</summary>
    public static IReadOnlyList<string> Undeclared()
    {
        var problems = new List<string>();
        var contract = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in PublicServices())
        {
            foreach (var method in service.Methods)
            {
                var name = FullName(method);
                contract.Add(name);
                if (Entries.TryGetValue(name, out var entry))
                {
                    if (entry.Input != method.InputType)
                        problems.Add($"{name}: the table expects {entry.Input.FullName}, the contract takes {method.InputType.FullName}");
                }
                else if (!IsOpen(name))
                {
                    problems.Add($"{name}: no access entry");
                }
            }
        }

        problems.AddRange(Entries.Keys.Where(name => !contract.Contains(name)).Select(static name => $"{name}: in the table but not in the contract"));
        return problems;
    }

    /// <summary>Logs, at start, every public method the table does not cover (such a method needs <c>admin</c> until declared).</summary>
    public static void ReportUndeclared(ILogger logger)
    {
        foreach (var problem in Undeclared())
            Log.Undeclared(logger, problem);
    }

    /// <summary>The services of the public contract: every file descriptor generated from <c>proto/configcluster/v1</c>.</summary>
    public static IEnumerable<ServiceDescriptor> PublicServices()
        => typeof(KV).Assembly.GetTypes()
            .Where(static t => t.Namespace == typeof(KV).Namespace && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(static t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
            .OfType<FileDescriptor>()
            .SelectMany(static file => file.Services);

    /// <summary>The name gRPC routes a method by: <c>/package.Service/Method</c>.</summary>
    public static string FullName(MethodDescriptor method) => $"/{method.Service.FullName}/{method.Name}";

    // Opening: for a method with a streamed request, what the call needs when it starts (its
    // handler checks each message with Describe).
    private sealed record Entry(MessageDescriptor Input, Func<IMessage, AccessRequest> Describe, AccessRequest? Opening = null);

    private static string Scope(string? value) => string.IsNullOrEmpty(value) ? Core.Keys.KeyPath.DefaultScope : value;

    private static AccessRequest OnKey(string operation, Capability capability, ContractKeyPath? path, long? version = null)
        => new(operation, capability, Scope(path?.Namespace), Scope(path?.Environment), path?.Key ?? "", version);

    private static void Add<TRequest>(Dictionary<string, Entry> entries, ServiceDescriptor service, string method, Func<TRequest, AccessRequest> describe)
        where TRequest : IMessage<TRequest>, new()
    {
        var descriptor = service.FindMethodByName(method) ?? throw new InvalidOperationException($"{service.FullName} has no method {method}");
        entries.Add(FullName(descriptor), new Entry(new TRequest().Descriptor, message => describe((TRequest)message)));
    }

    private static void AddStreamed<TRequest>(Dictionary<string, Entry> entries, ServiceDescriptor service, string method, AccessRequest opening, Func<TRequest, AccessRequest> describe)
        where TRequest : IMessage<TRequest>, new()
    {
        var descriptor = service.FindMethodByName(method) ?? throw new InvalidOperationException($"{service.FullName} has no method {method}");
        if (!descriptor.IsClientStreaming)
            throw new InvalidOperationException($"{FullName(descriptor)} takes one request: declare it with Add");
        entries.Add(FullName(descriptor), new Entry(new TRequest().Descriptor, message => describe((TRequest)message), opening));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6010, Level = LogLevel.Error, Message = "gRPC access table: {Problem}; the method needs admin until it is declared")]
        public static partial void Undeclared(ILogger logger, string problem);
    }
}
