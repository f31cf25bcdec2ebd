using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// A throwaway PostgreSQL cluster of the test's own: <c>initdb</c> into a temp directory (as the
/// <c>postgres</c> user when the tests run as root, which PostgreSQL refuses), <c>pg_ctl start</c>
/// on a free loopback port with its socket in that directory and password (SCRAM) logins over TCP,
/// stopped and removed on dispose. Binaries from Debian's <c>postgresql</c> package (.ci/run installs it).
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The superuser the engine's connection is configured with.</summary>
    public const string AdminUser = "ccadmin";

    private readonly string root;
    private readonly string binaries;

    private PostgresServer(string root, string binaries, int port, string adminPassword)
    {
        this.root = root;
        this.binaries = binaries;
        Port = port;
        AdminPassword = adminPassword;
    }

    public int Port { get; }

    /// <summary>The superuser's password (made for this run; kept out of every assertion message).</summary>
    public string AdminPassword { get; }

    private string DataDirectory => Path.Combine(root, "data");

    /// <summary>The Vault connection URL for this server, with Vault's templates for the admin's name and password.</summary>
    public string ConnectionUrl => $"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{Port}/postgres?sslmode=disable";

    /// <summary>The directory holding initdb and pg_ctl, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(static d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(static d => Path.Combine(d, "bin"))
            : [];
        return candidates.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(static dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")));
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var binaries = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL is not installed (initdb, pg_ctl): apt-get install postgresql");
        var root = Path.Combine(Path.GetTempPath(), "cc-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var passwordFile = Path.Combine(root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        if (Environment.IsPrivilegedProcess)
            await RunAsync("chown", ["-R", "postgres:postgres", root], asPostgres: false);
        var server = new PostgresServer(root, binaries, PortAllocator.Next(), password);
        await server.ToolAsync("initdb", ["-D", server.DataDirectory, "-U", AdminUser, "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        File.Delete(passwordFile);
        await server.ToolAsync("pg_ctl", ["-D", server.DataDirectory, "-l", Path.Combine(root, "postgres.log"), "-w", "-t", "60",
            "-o", $"-p {server.Port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"]);
        return server;
    }

    /// <summary>A connection string for <paramref name="user"/> over TCP, without pooling (each open is a real login).</summary>
    public string ConnectionString(string user, string password, string database = "postgres")
        => new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = user, Password = password, Database = database, Pooling = false, Timeout = 5 }.ConnectionString;

    /// <summary>Runs SQL as the superuser.</summary>
    public async Task<object?> AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(AdminUser, AdminPassword));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Whether a role of that name exists.</summary>
    public async Task<bool> RoleExistsAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(AdminUser, AdminPassword));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", connection) { Parameters = { new NpgsqlParameter { Value = name } } };
        return await command.ExecuteScalarAsync() is not null;
    }

    /// <summary>Logs in as <paramref name="user"/> and runs <paramref name="sql"/>; the error's SQLSTATE (or the failure's kind) when it fails.</summary>
    public async Task<(bool Ok, string? Error, object? Value)> TryAsUserAsync(string user, string password, string sql = "SELECT 1")
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString(user, password));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return (true, null, await command.ExecuteScalarAsync());
        }
        catch (PostgresException e)
        {
            return (false, e.SqlState, null);
        }
        catch (NpgsqlException e)
        {
            return (false, e.GetType().Name, null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped: the directory goes anyway.
        }

        NpgsqlConnection.ClearAllPools();
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }

    private Task ToolAsync(string tool, IReadOnlyList<string> arguments) => RunAsync(Path.Combine(binaries, tool), arguments, Environment.IsPrivilegedProcess);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var start = asPostgres ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. arguments]) : new ProcessStartInfo(program, arguments);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        output.Append(await stdout).Append(await stderr);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {output}");
    }
}

/// <summary>A fact skipped, with the reason, where PostgreSQL's binaries are not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "needs Linux (a PostgreSQL of its own, from Debian's postgresql package)";
        else if (PostgresServer.FindBinaries() is null)
            Skip = "PostgreSQL is not installed (initdb, pg_ctl; Debian: apt-get install postgresql, as .ci/run does)";
        else if (Environment.IsPrivilegedProcess && !File.Exists("/usr/sbin/runuser") && !File.Exists("/sbin/runuser") && !File.Exists("/usr/bin/runuser"))
            Skip = "runs as root without runuser (initdb must run as the postgres user)";
    }
}
