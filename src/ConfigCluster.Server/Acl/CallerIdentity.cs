namespace ConfigCluster.Server.Acl;

/// <summary>Who is calling, as established from their token. Never holds the token itself.</summary>
public sealed record CallerIdentity(string Name, string Accessor, IReadOnlyList<string> Policies)
{
    private static readonly AsyncLocal<CallerIdentity?> CurrentCaller = new();

    /// <summary>The caller of the request being served on this async flow, if any.</summary>
    public static CallerIdentity? Current
    {
        get => CurrentCaller.Value;
        set => CurrentCaller.Value = value;
    }
}
