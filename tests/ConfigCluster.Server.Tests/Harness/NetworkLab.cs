using System.Diagnostics;
using System.Security.Cryptography;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// Test hosts in network namespaces made by this test run: one namespace per node, joined by a
/// bridge on the host, so Raft traffic between nodes can be cut (both ways or one way), slowed and healed (iptables and
/// tc tbf inside a node's namespace) while the test itself still reaches every node.
/// Addresses are the project's own test hosts in 10.233.X.0/24; nothing leaves the machine.
/// </summary>
internal sealed class NetworkLab : IAsyncDisposable
{
    private readonly string tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
    private readonly int subnet = RandomNumberGenerator.GetInt32(10, 250);
    private readonly int count;

    private NetworkLab(int count) => this.count = count;

    private string Bridge => $"cc{tag}br";

    private string Gateway => $"10.233.{subnet}.1";

    public string Namespace(int node) => $"cc{tag}n{node}";

    public string Address(int node) => $"10.233.{subnet}.{10 + node}";

    private string HostSide(int node) => $"cc{tag}h{node}";

    private string NodeSide(int node) => $"cc{tag}p{node}";

    public static async Task<NetworkLab> CreateAsync(int count)
    {
        var lab = new NetworkLab(count);
        try
        {
            await IpAsync($"link add {lab.Bridge} type bridge");
            await IpAsync($"addr add {lab.Gateway}/24 dev {lab.Bridge}");
            await IpAsync($"link set {lab.Bridge} up");

            // With br_netfilter loaded, frames crossing the bridge pass the host's FORWARD chain,
            // whose policy may be DROP (as Docker sets it): let the lab's own bridge through.
            await RunAsync("iptables", $"-I FORWARD -i {lab.Bridge} -o {lab.Bridge} -j ACCEPT", ignoreFailure: true);
            for (var i = 0; i < count; i++)
            {
                await IpAsync($"netns add {lab.Namespace(i)}");
                await IpAsync($"link add {lab.HostSide(i)} type veth peer name {lab.NodeSide(i)}");
                await IpAsync($"link set {lab.NodeSide(i)} netns {lab.Namespace(i)}");
                await IpAsync($"link set {lab.HostSide(i)} master {lab.Bridge}");
                await IpAsync($"link set {lab.HostSide(i)} up");
                await InAsync(i, "ip", $"addr add {lab.Address(i)}/24 dev {lab.NodeSide(i)}");
                await InAsync(i, "ip", $"link set {lab.NodeSide(i)} up");
                await InAsync(i, "ip", "link set lo up");
            }

            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }

        Task InAsync(int node, string tool, string args) => RunAsync("ip", $"netns exec {lab.Namespace(node)} {tool} {args}");
    }

    /// <summary>Cuts node <paramref name="node"/> off from the other nodes (both directions); the test host still reaches it.</summary>
    public async Task PartitionAsync(int node)
    {
        await DropAsync(node, LinkDirection.Incoming);
        await DropAsync(node, LinkDirection.Outgoing);
    }

    /// <summary>
    /// A one-way partition: node <paramref name="node"/> drops what its peers send it
    /// (<see cref="LinkDirection.Incoming"/>) or what it sends them (<see cref="LinkDirection.Outgoing"/>);
    /// the other direction and the test host's traffic still pass.
    /// </summary>
    public async Task DropAsync(int node, LinkDirection direction)
    {
        for (var peer = 0; peer < count; peer++)
        {
            if (peer == node)
                continue;
            await InNodeAsync(node, "iptables", direction == LinkDirection.Incoming ? $"-I INPUT -s {Address(peer)} -j DROP" : $"-I OUTPUT -d {Address(peer)} -j DROP");
        }
    }

    /// <summary>
    /// Drops <paramref name="percent"/>% of the packets between node <paramref name="node"/> and
    /// its peers, each way, at random (iptables' statistic match; netem's loss and reordering
    /// need sch_netem, which this machine's kernel lacks). TCP retransmits what is lost, so the
    /// links stay up but slow and bursty.
    /// </summary>
    public async Task LoseAsync(int node, int percent)
    {
        var probability = (percent / 100.0).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        for (var peer = 0; peer < count; peer++)
        {
            if (peer == node)
                continue;
            await InNodeAsync(node, "iptables", $"-I INPUT -s {Address(peer)} -m statistic --mode random --probability {probability} -j DROP");
            await InNodeAsync(node, "iptables", $"-I OUTPUT -d {Address(peer)} -m statistic --mode random --probability {probability} -j DROP");
        }
    }

    /// <summary>
    /// Slows node <paramref name="node"/>'s outgoing link to <paramref name="kilobitsPerSecond"/>
    /// (tc tbf), so its packets queue and arrive late. A fixed per-packet delay would need
    /// sch_netem, which this machine's kernel lacks.
    /// </summary>
    public Task ThrottleAsync(int node, int kilobitsPerSecond)
        => InNodeAsync(node, "tc", $"qdisc replace dev {NodeSide(node)} root tbf rate {kilobitsPerSecond}kbit burst 4kb latency 2s");

    /// <summary>Removes every cut and throttle of node <paramref name="node"/>.</summary>
    public async Task HealAsync(int node)
    {
        await InNodeAsync(node, "iptables", "-F INPUT");
        await InNodeAsync(node, "iptables", "-F OUTPUT");
        await RunAsync("ip", $"netns exec {Namespace(node)} tc qdisc del dev {NodeSide(node)} root", ignoreFailure: true);
    }

    /// <summary>
    /// For a failure message: whether each node's namespace opens a TCP connection to every other
    /// node's <paramref name="targets"/> endpoint (bash's /dev/tcp, 2 s each).
    /// </summary>
    public async Task<string> ProbeAsync(IReadOnlyList<(string Host, int Port)> targets)
    {
        var lines = new List<string>();
        for (var from = 0; from < count; from++)
        {
            for (var to = 0; to < targets.Count; to++)
            {
                if (from == to)
                    continue;
                var (host, port) = targets[to];
                var reached = await TryRunAsync("ip", ["netns", "exec", Namespace(from), "timeout", "2", "bash", "-c", $"exec 3<>/dev/tcp/{host}/{port}"]);
                lines.Add($"namespace of node {from} -> {host}:{port}: {(reached ? "connects" : "NO connection")}");
            }
        }

        return "reachability of the Raft ports between namespaces: " + string.Join("; ", lines);
    }

    private static async Task<bool> TryRunAsync(string tool, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0;
    }

    private Task InNodeAsync(int node, string tool, string args) => RunAsync("ip", $"netns exec {Namespace(node)} {tool} {args}");

    private static Task IpAsync(string args) => RunAsync("ip", args);

    private static async Task RunAsync(string tool, string args, bool ignoreFailure = false)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var part in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            start.ArgumentList.Add(part);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception) when (ignoreFailure)
        {
            return; // the tool is not installed
        }

        using var owned = process;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var error = await process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0 && !ignoreFailure)
            throw new InvalidOperationException($"{tool} {args} failed: {error.Trim()}");
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < count; i++)
            await RunAsync("ip", $"netns del {Namespace(i)}", ignoreFailure: true);
        await RunAsync("ip", $"link del {Bridge}", ignoreFailure: true);
        await RunAsync("iptables", $"-D FORWARD -i {Bridge} -o {Bridge} -j ACCEPT", ignoreFailure: true);
    }
}

/// <summary>Which way a one-way partition drops packets, seen from the node it is applied to.</summary>
internal enum LinkDirection
{
    Incoming,
    Outgoing,
}
