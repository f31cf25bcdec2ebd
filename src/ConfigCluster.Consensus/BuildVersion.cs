using System.Reflection;

namespace ConfigCluster.Consensus;

/// <summary>This build's version, as members announce it to each other.</summary>
public static class BuildVersion
{
    /// <summary>The informational version of the consensus assembly (the product version).</summary>
    public static string Current { get; } =
        typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
