namespace ConfigCluster.DemoService;

/// <summary>Log messages of the demo service (event ids 9000–9099). Values are not logged, only the fact of a change.</summary>
internal static partial class DemoLog
{
    [LoggerMessage(9000, LogLevel.Information, "Settings changed (change {Count}): MaxItems {MaxItems}, greeting of {GreetingLength} characters, api key {ApiKeyState}")]
    public static partial void SettingsChanged(ILogger logger, long count, int maxItems, int greetingLength, string apiKeyState);
}
