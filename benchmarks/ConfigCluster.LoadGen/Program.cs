using System.Globalization;
using System.Text.Json;
using ConfigCluster.LoadGen;

// loadgen --target configcluster|etcd --endpoints URL,URL --workload put|get|get-serializable|mix|watch|fill|leader-kill
//         [--clients N] [--seconds S] [--connections C] [--keys K] [--token T] [--watchers W] [--puts P]
//         [--pids PID,PID,...]   server processes in endpoint order: CPU per 1k ops, RSS; leader-kill kills one
//         [--warmup S]           timed workloads first run S seconds unmeasured (JIT tiering, connections); default 3
//         [--value-bytes B]      bytes per written value (JSON string, quotes included); default 256
// idle-watch: --watchers W streams on one unchanging key at the default progress interval, against ONE endpoint
//   (and its one --pids): that node's resident memory before and after, and the cost per idle watcher.
//   [--hold S] keeps the streams open S seconds after the reading (for a heap dump of the node); default 0
//   [--mux] (configcluster) the watchers are watches on WatchMany streams, one stream per connection, not a stream each
// cold-get, cold-get-serializable: random reads of the keys `fill --keys K` wrote (pass the same --keys).
// Every row reports leaderChanges: how far the highest Raft term moved during the measured part.
var mux = args.Contains("--mux");
args = [.. args.Where(static a => a != "--mux")];
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
    options[args[i].TrimStart('-')] = args[i + 1];
string Opt(string name, string fallback) => options.GetValueOrDefault(name, fallback);
int Int(string name, int fallback) => int.Parse(Opt(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var endpoints = Opt("endpoints", "http://127.0.0.1:7012").Split(',', StringSplitOptions.RemoveEmptyEntries);
var connections = Int("connections", 4);
using ITarget target = Opt("target", "configcluster") switch
{
    "etcd" => new EtcdTarget(endpoints, connections),
    _ => new ConfigClusterTarget(endpoints, connections, options.GetValueOrDefault("token")),
};
var workload = Opt("workload", "put");
Workloads.ValueBytes = Int("value-bytes", 256);
var keys = Int("keys", 1000);
var servers = new ServerProcesses([.. Opt("pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(static p => int.Parse(p, CultureInfo.InvariantCulture))]);
var cpuBefore = servers.CpuSeconds();
var termBefore = await target.TermAsync(CancellationToken.None);
Result result;
if (workload == "idle-watch")
{
    var idle = await IdleWatchers.RunAsync(target, servers, Int("watchers", 1000), TimeSpan.FromSeconds(Int("hold", 0)), mux, connections);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        target = idle.Target,
        workload = "idle-watch",
        mux,
        clients = idle.Watchers,
        opened = idle.Opened,
        rssBeforeMiB = Math.Round(idle.BeforeKiB / 1024, 1),
        rssAfterMiB = Math.Round(idle.AfterKiB / 1024, 1),
        perWatcherKiB = Math.Round(idle.PerWatcherKiB, 1),
    }));
    return;
}

if (workload == "watch")
{
    result = await Workloads.WatchFanOutAsync(target, Int("watchers", 100), Int("puts", 200));
}
else if (workload == "fill")
{
    result = await Workloads.FillAsync(target, keys, Int("clients", 64));
}
else if (workload == "leader-kill")
{
    result = await Workloads.LeaderKillAsync(target, servers, Int("clients", 16), TimeSpan.FromSeconds(Int("seconds", 10)));
}
else
{
    if (workload.StartsWith("get", StringComparison.Ordinal) || workload == "mix")
        await Workloads.PreloadAsync(target, keys);
    if (Int("warmup", 3) is > 0 and var warmup)
        await Workloads.RunAsync(target, workload, Int("clients", 16), TimeSpan.FromSeconds(warmup), keys);
    cpuBefore = servers.CpuSeconds();
    termBefore = await target.TermAsync(CancellationToken.None);
    result = await Workloads.RunAsync(target, workload, Int("clients", 16), TimeSpan.FromSeconds(Int("seconds", 10)), keys);
}

var termAfter = await target.TermAsync(CancellationToken.None);
Console.WriteLine(JsonSerializer.Serialize(new
{
    target = result.Target,
    workload = result.Workload,
    clients = result.Clients,
    ops = result.Operations,
    errors = result.Errors,
    lost = result.Lost,
    opsPerSec = Math.Round(result.OpsPerSecond, 1),
    p50 = Math.Round(result.Percentile(50), 3),
    p99 = Math.Round(result.Percentile(99), 3),
    p999 = Math.Round(result.Percentile(99.9), 3),
    max = Math.Round(result.MaxMs, 3),
    unavailableMs = Math.Round(result.UnavailableMs, 1),
    // Server-side cost: CPU seconds per 1,000 operations (all server processes) and resident memory after the run.
    cpuPer1k = servers.Pids.Count == 0 || result.Operations == 0 || workload == "leader-kill" ? 0 : Math.Round((servers.CpuSeconds() - cpuBefore) / (result.Operations / 1000.0), 3),
    rssMiB = Math.Round(servers.RssMiB(), 1),
    // Resident memory of each server process (endpoint order), MiB.
    rssPerNodeMiB = servers.Pids.Select(pid => Math.Round(servers.RssMiB(pid), 1)).ToArray(),
    leaderChanges = termBefore < 0 || termAfter < 0 ? -1 : termAfter - termBefore,
}));
