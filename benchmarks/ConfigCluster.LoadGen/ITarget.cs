namespace ConfigCluster.LoadGen;

/// <summary>A system under test: the same three operations, over the same kind of gRPC channels.</summary>
internal interface ITarget : IDisposable
{
    string Name { get; }

    Task PutAsync(int connection, string key, string value, CancellationToken token);

    Task GetAsync(int connection, string key, bool serializable, CancellationToken token);

    /// <summary>
    /// Opens a watch on <paramref name="key"/>; <paramref name="onEvent"/> gets each new value; <paramref name="ready"/>
    /// completes with the stream's first message. <paramref name="progressIntervalMs"/>: how often an idle
    /// ConfigCluster watch reports progress (etcd sends its created message at once and has no such interval).
    /// </summary>
    Task WatchAsync(int connection, string key, Action<string> onEvent, TaskCompletionSource ready, CancellationToken token, int progressIntervalMs = 200);

    /// <summary>The highest Raft term any endpoint reports (elections between two readings = leader changes), or -1.</summary>
    Task<long> TermAsync(CancellationToken token);

    /// <summary>Index (in endpoint order) of the endpoint whose server currently leads, or -1.</summary>
    Task<int> LeaderIndexAsync(CancellationToken token);
}
