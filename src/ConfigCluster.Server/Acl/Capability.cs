namespace ConfigCluster.Server.Acl;

/// <summary>What a policy rule may grant on matching keys.</summary>
[Flags]
public enum Capability
{
    None = 0,
    Read = 1,
    List = 2,
    Write = 4,
    Delete = 8,
    History = 16,
    Rollback = 32,
    Watch = 64,
    Admin = 128,
}

/// <summary>Names of capabilities as written in policies.</summary>
public static class Capabilities
{
    public static bool TryParse(string name, out Capability capability)
    {
        capability = name switch
        {
            "read" => Capability.Read,
            "list" => Capability.List,
            "write" => Capability.Write,
            "delete" => Capability.Delete,
            "history" => Capability.History,
            "rollback" => Capability.Rollback,
            "watch" => Capability.Watch,
            "admin" => Capability.Admin,
            _ => Capability.None,
        };
        return capability != Capability.None;
    }

    public static string Name(Capability capability) => capability.ToString().ToLowerInvariant();
}
