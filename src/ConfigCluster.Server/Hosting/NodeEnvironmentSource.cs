using System.Collections;
using Microsoft.Extensions.Configuration;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// <c>CONFIGCLUSTER_DATA_DIR</c> → <c>data-dir</c>: the contract's environment names (dashes as
/// underscores), which the framework's environment source would key as <c>DATA_DIR</c>. Only
/// node options are read, so secrets such as <c>CONFIGCLUSTER_MASTER_KEY</c> never enter the
/// configuration; an empty variable counts as unset.
/// </summary>
internal sealed class NodeEnvironmentSource(IDictionary variables) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(variables);

    private sealed class Provider(IDictionary variables) : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var option in NodeOptionCatalog.All)
            {
                if (variables[option.EnvironmentVariable] is string { Length: > 0 } value)
                    data[option.Name] = value;
            }

            Data = data;
        }
    }
}
