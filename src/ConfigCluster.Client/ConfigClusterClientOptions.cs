namespace ConfigCluster.Client;

/// <summary>Settings of a <see cref="ConfigClusterClient"/>.</summary>
public sealed class ConfigClusterClientOptions
{
    /// <summary>gRPC URLs of the nodes (any subset of the cluster). Required.</summary>
    public IList<Uri> Endpoints { get; } = [];

    /// <summary>The token sent as <c>authorization: Bearer</c>; null sends none.</summary>
    public string? Token { get; set; }

    /// <summary>Namespace used when a call names none. Default <c>default</c>.</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>Environment used when a call names none. Default <c>default</c>.</summary>
    public string Environment { get; set; } = "default";

    /// <summary>How long one operation may take, retries and failovers included. Default 30 s.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First pause between retries; doubles up to one second. Default 50 ms.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(50);
}
