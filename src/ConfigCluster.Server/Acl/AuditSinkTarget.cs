using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ConfigCluster.Server.Acl;

/// <summary>Where the audit stream goes (<c>--audit-sink</c>).</summary>
public enum AuditSinkKind
{
    /// <summary>The node's standard output.</summary>
    Stdout,

    /// <summary>A Unix domain stream socket.</summary>
    Unix,

    /// <summary>A TCP endpoint.</summary>
    Tcp,
}

/// <summary>
/// The audit stream sink's settings: <c>--audit-sink stdout|unix:PATH|tcp:HOST:PORT</c>,
/// <c>--audit-sink-format json|syslog</c>, <c>--audit-sink-buffer N</c>.
/// </summary>
/// <param name="Kind">Where the lines go.</param>
/// <param name="Address">The socket path (unix) or host (tcp); empty for stdout.</param>
/// <param name="Port">The TCP port; 0 otherwise.</param>
/// <param name="Syslog">RFC 5424 messages (octet-counted on sockets, RFC 6587) instead of bare JSON lines.</param>
/// <param name="Buffer">Lines that may wait unsent before requests are refused. Default 10,000.</param>
public sealed record AuditSinkTarget(AuditSinkKind Kind, string Address, int Port, bool Syslog, int Buffer)
{
    /// <summary>Parses the <c>--audit-sink</c> text.</summary>
    public static bool TryParse(string text, bool syslog, int buffer, [NotNullWhen(true)] out AuditSinkTarget? target)
    {
        ArgumentNullException.ThrowIfNull(text);
        target = null;
        if (text == "stdout")
        {
            target = new AuditSinkTarget(AuditSinkKind.Stdout, "", 0, syslog, buffer);
        }
        else if (text.StartsWith("unix:", StringComparison.Ordinal) && text.Length > 5)
        {
            target = new AuditSinkTarget(AuditSinkKind.Unix, Path.GetFullPath(text[5..]), 0, syslog, buffer);
        }
        else if (text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            var rest = text[4..];
            var colon = rest.LastIndexOf(':');
            if (colon > 0 && int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
                target = new AuditSinkTarget(AuditSinkKind.Tcp, rest[..colon].Trim('[', ']'), port, syslog, buffer);
        }

        return target is not null;
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        AuditSinkKind.Unix => "unix:" + Address,
        AuditSinkKind.Tcp => string.Create(CultureInfo.InvariantCulture, $"tcp:{Address}:{Port}"),
        _ => "stdout",
    };
}
