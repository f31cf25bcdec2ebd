using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// A membership change under faults: a follower is removed and killed at once, then wiped and
/// added back with <c>--join</c> while the leader is killed and restarted. Requests a fault
/// swallowed are sent again until the member list says the change happened; the rejoined node
/// must end up holding every acknowledged write.
/// </summary>
internal sealed class MembershipFaults(ChaosRun run, NemesisFaults nemesis)
{
    private readonly TestCluster cluster = run.Cluster;

    public async Task RemoveAndReAddFollowerAsync()
    {
        var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        var followers = Enumerable.Range(0, cluster.Nodes.Count).Where(i => i != leader).ToList();
        var removed = followers[run.Schedule.Random.Next(followers.Count)];
        var bystander = followers.Single(i => i != removed);
        var id = cluster[removed].NodeId;

        await nemesis.FaultAsync($"remove follower {id} from the members, kill -9 it at once", async () =>
        {
            var remove = cluster[leader].Http.SendAsync(HttpMethod.Delete, $"/cluster/members/{id}");
            await cluster.KillNodeAsync(removed);
            run.Schedule.Record($"remove answered {(int)(await remove).Status}");
            await Eventually.WaitAsync(async () =>
            {
                if (!(await MembersAsync(cluster[leader])).Contains(id))
                    return true;
                await cluster[leader].Http.SendAsync(HttpMethod.Delete, $"/cluster/members/{id}");
                return false;
            }, ChaosRun.Timeout, $"{id} to leave the member list\n{run.Schedule}");
        }, NemesisFaults.DegradedBound);

        // Back as a new, empty node that waits to be added; the leader dies while the add is in flight.
        cluster[removed].WipeData();
        var arguments = cluster[removed].ExtraArguments;
        cluster[removed].ExtraArguments = [.. arguments, "--join"];
        run.Schedule.Record($"start {id} wiped with --join");
        await cluster.StartNodeAsync(removed);
        await nemesis.FaultAsync($"add {id} back, kill -9 leader {cluster[leader].NodeId} at once, restart it", async () =>
        {
            var add = AddAsync(cluster[leader], cluster[removed]);
            await cluster.KillNodeAsync(leader);
            run.Schedule.Record($"add answered {await AnswerAsync(add)}");
            await cluster.StartNodeAsync(leader);
            run.Schedule.Record($"restarted {cluster[leader].NodeId}");
        }, NemesisFaults.DegradedBound);
        await Eventually.WaitAsync(async () =>
        {
            if ((await MembersAsync(cluster[bystander])).Contains(id))
                return true;
            await AddAsync(cluster[bystander], cluster[removed]);
            return false;
        }, ChaosRun.Timeout, $"{id} to be a member again\n{run.Schedule}");
        cluster[removed].ExtraArguments = arguments;
        run.Schedule.Record($"{id} is a member again");
        await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        await run.RequireFloorAsync($"after {id} rejoined", ChaosRecorder.Now);
    }

    private static Task<(System.Net.HttpStatusCode Status, JsonNode? Body)> AddAsync(NodeProcess via, NodeProcess joiner)
        => via.Http.SendAsync(HttpMethod.Post, "/cluster/members", new JsonObject { ["raft"] = joiner.RaftEndPoint }.ToJsonString());

    private static async Task<IReadOnlyList<string>> MembersAsync(NodeProcess node)
        => [.. (await node.Http.GetJsonAsync("/cluster/members")).Body!["members"]!.AsArray().Select(static m => m!["nodeId"]?.GetValue<string>() ?? "")];

    private static async Task<string> AnswerAsync(Task<(System.Net.HttpStatusCode Status, JsonNode? Body)> request)
    {
        try
        {
            var (status, body) = await request;
            return $"{(int)status} {body?.ToJsonString()}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"no answer ({e.GetType().Name})";
        }
    }
}
