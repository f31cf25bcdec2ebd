namespace ConfigCluster.Client.Hosting;

/// <summary>Settings of the ConfigCluster health check (<c>AddConfigClusterHealthCheck</c>).</summary>
public sealed class ConfigClusterHealthCheckOptions
{
    /// <summary>
    /// How long a watch may go without hearing from the cluster before the check reports Degraded.
    /// Default 30 s: a leader failover or a node restart interrupts a watch for a few seconds, which
    /// is not worth an alert; the data stays what was last received meanwhile.
    /// </summary>
    public TimeSpan WatchDownThreshold { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock the watch's down time is measured with. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
