using Microsoft.Extensions.Options;

namespace ConfigCluster.Server.Acl;

/// <summary>The audit sink's settings (configuration section <c>ConfigCluster:Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ConfigCluster:Audit";

    /// <summary>
    /// Size at which <c>audit.jsonl</c> is closed and renamed <c>audit.NNNNNN.jsonl</c>; the chain
    /// continues in the new file. Default 64 MiB; at least 4 KiB.
    /// </summary>
    public long MaxFileBytes { get; set; } = 64L << 20;

    /// <summary>
    /// How often this node puts a checkpoint of its chain (line count, last MAC) in the Raft log,
    /// so a tail cut off after it is detected. Default 30 s; 100 ms to 1 h.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most lines written with one write and one flush to disk. Default 1,024.</summary>
    public int MaxBatchLines { get; set; } = 1024;
}

/// <summary>Checks <see cref="AuditOptions"/> at start.</summary>
public sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxFileBytes < 4096)
            return ValidateOptionsResult.Fail("ConfigCluster:Audit:MaxFileBytes must be at least 4096");
        if (options.CheckpointInterval < TimeSpan.FromMilliseconds(100) || options.CheckpointInterval > TimeSpan.FromHours(1))
            return ValidateOptionsResult.Fail("ConfigCluster:Audit:CheckpointInterval must be between 100ms and 1h");
        if (options.MaxBatchLines is < 1 or > 100_000)
            return ValidateOptionsResult.Fail("ConfigCluster:Audit:MaxBatchLines must be between 1 and 100000");
        return ValidateOptionsResult.Success;
    }
}
