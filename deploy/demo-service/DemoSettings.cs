namespace ConfigCluster.DemoService;

/// <summary>
/// What the demo service runs with: the ConfigCluster keys under <c>demo.</c>
/// (<c>demo.greeting</c>, <c>demo.maxItems</c>, and the secret <c>demo.apiKey</c>). The defaults
/// let it start on an empty cluster.
/// </summary>
public sealed class DemoSettings
{
    /// <summary>The key prefix the settings are bound from.</summary>
    public const string KeyPrefix = "demo.";

    /// <summary><c>demo.greeting</c>: text the service answers with; 1–200 characters.</summary>
    public string Greeting { get; set; } = "hello from the demo service";

    /// <summary><c>demo.maxItems</c>: a limit the service enforces; 1–1000.</summary>
    public int MaxItems { get; set; } = 10;

    /// <summary><c>demo.apiKey</c>: a secret (held in memory only; shown as a fingerprint). Null until set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Why these settings may not be applied, or null when they may (messages name settings, never values).</summary>
    public static string? Problem(DemoSettings settings) => settings switch
    {
        { Greeting.Length: 0 or > 200 } => "Greeting must be 1-200 characters",
        { MaxItems: < 1 or > 1000 } => "MaxItems must be between 1 and 1000",
        _ => null,
    };
}
