using System.CommandLine;
using ConfigCluster.Cli;

var root = new RootCommand("ccctl: the ConfigCluster command-line client");
GlobalOptions.AddTo(root);
foreach (var command in KvCommands.All())
    root.Add(command);
root.Add(WatchCommand.Create());
root.Add(ImportExportCommands.Import());
root.Add(ImportExportCommands.Export());
root.Add(AuditCommand.Create());
root.Add(EnvironmentCommands.Diff());
root.Add(EnvironmentCommands.Promote());
root.Add(AclCommands.Token());
root.Add(AclCommands.Policy());
root.Add(OperationsCommands.Snapshot());
root.Add(OperationsCommands.Member());
root.Add(OperationsCommands.Leader());
root.Add(OperationsCommands.Retention());
root.Add(OperationsCommands.Keys());
root.Add(SecretCommands.Secret());
root.Add(OperatorCommands.Operator());
root.Add(LeaseCommands.Lease());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
        Console.Error.WriteLine($"ccctl: {error.Message}");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
