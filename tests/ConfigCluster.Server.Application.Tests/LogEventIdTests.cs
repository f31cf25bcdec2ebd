using System.Reflection;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Server.Application.Tests;

/// <summary>
/// Every log message of the node has an event id of its own, so an operator's alert or log query
/// on an id (README names some) matches exactly one message. Checked over every
/// <see cref="LoggerMessageAttribute"/> in the server and the projects beneath it.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void EveryLogMessage_OfTheNode_HasItsOwnEventId()
    {
        var assemblies = new[] { typeof(Acl.AccessGate), typeof(Consensus.RaftNode), typeof(Storage.FasterVersionedStore), typeof(Core.Commands.Command) }
            .Select(static t => t.Assembly);
        var messages = assemblies
            .SelectMany(static a => a.GetTypes())
            .SelectMany(static t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(static m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(static x => x.Attribute is not null)
            .Select(static x => (Id: x.Attribute!.EventId, Name: $"{x.Method.DeclaringType!.FullName}.{x.Method.Name}"))
            .ToList();

        Assert.True(messages.Count > 50, $"only {messages.Count} log messages found: the scan missed the assemblies");
        var shared = messages.GroupBy(static m => m.Id).Where(static g => g.Count() > 1)
            .Select(static g => $"{g.Key}: {string.Join(", ", g.Select(static m => m.Name))}").ToList();
        Assert.True(shared.Count == 0, $"event ids used by more than one message:\n{string.Join('\n', shared)}");
    }
}
