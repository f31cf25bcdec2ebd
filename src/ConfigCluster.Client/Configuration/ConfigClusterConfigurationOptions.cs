using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Client.Configuration;

/// <summary>Settings of the ConfigCluster <c>IConfiguration</c> source.</summary>
public sealed class ConfigClusterConfigurationOptions
{
    /// <summary>The client settings (endpoints, token, namespace, environment, timeouts).</summary>
    public ConfigClusterClientOptions Client { get; } = new();

    /// <summary>Shortcut for <see cref="ConfigClusterClientOptions.Endpoints"/>.</summary>
    public IList<Uri> Endpoints
    {
        get => Client.Endpoints;
        set => Client.Endpoints = value;
    }

    /// <summary>Shortcut for <see cref="ConfigClusterClientOptions.Token"/>.</summary>
    public string? Token
    {
        get => Client.Token;
        set => Client.Token = value;
    }

    /// <summary>Shortcut for <see cref="ConfigClusterClientOptions.Namespace"/>. Default <c>default</c>.</summary>
    public string Namespace
    {
        get => Client.Namespace;
        set => Client.Namespace = value;
    }

    /// <summary>Shortcut for <see cref="ConfigClusterClientOptions.Environment"/>: the effective view of this environment is loaded. Default <c>default</c>.</summary>
    public string Environment
    {
        get => Client.Environment;
        set => Client.Environment = value;
    }

    /// <summary>Only keys under this prefix are loaded (<c>""</c>, the default, = all).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>
    /// Drop <see cref="Prefix"/> from the configuration keys (<c>myservice.db.host</c> becomes
    /// <c>db:host</c> rather than <c>myservice:db:host</c>). Default false.
    /// </summary>
    public bool TrimPrefix { get; set; }

    /// <summary>
    /// Last-known-good copy on local disk (JSON), written after every load and change and read
    /// when no node answers at start. Secret values are never written to it. Null (the default) disables it.
    /// </summary>
    public string? CacheFile { get; set; }

    /// <summary>Keep a watch open and reload on change (so <c>IOptionsMonitor&lt;T&gt;.OnChange</c> fires). Default true.</summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>How long the first load may take before falling back to the cache. Default 10 s.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Changes arriving within this window are published as one reload. Default 100 ms.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Where the provider and its client log (the provider exists before dependency injection does). Default none.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;
}
