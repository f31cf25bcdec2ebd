namespace ConfigCluster.Client.Configuration;

/// <summary>Settings of the ConfigCluster <c>IConfiguration</c> source.</summary>
public sealed class ConfigClusterConfigurationOptions
{
    /// <summary>The client settings (endpoints, token, namespace, environment).</summary>
    public ConfigClusterClientOptions Client { get; } = new();

    /// <summary>Only keys under this prefix are loaded (<c>""</c> = all); the prefix is kept in the names.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>
    /// Last-known-good copy on local disk, used when no node answers at start. Secret values are
    /// never written to it. Null disables it.
    /// </summary>
    public string? CacheFile { get; set; }

    /// <summary>Keep a watch open and reload on change. Default true.</summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>How long the first load may take before falling back to the cache. Default 10 s.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
