using System.Collections.Concurrent;
using Npgsql;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>A statement the database refused or could not run; the message never holds a password.</summary>
internal sealed class DatabaseFailure(string message) : Exception(message);

/// <summary>
/// Runs a role's statements against PostgreSQL with Npgsql, one transaction per call (all of a
/// role's statements take effect or none does), over one pooled data source per connection
/// string, so issuing a credential does not pay for a new connection and its authentication.
/// </summary>
internal sealed class PostgresRunner : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> sources = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="statements"/> in one transaction.</summary>
    /// <exception cref="DatabaseFailure">The database refused a statement or could not be reached (message scrubbed of <paramref name="secrets"/>).</exception>
    public async Task RunAsync(string connectionString, IEnumerable<string> statements, IReadOnlyList<string?> secrets, CancellationToken token)
    {
        try
        {
            await using var connection = await Source(connectionString).OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            foreach (var statement in statements)
            {
                await using var command = new NpgsqlCommand(statement, connection, transaction);
                await command.ExecuteNonQueryAsync(token);
            }

            await transaction.CommitAsync(token);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            throw new DatabaseFailure(Describe(e, secrets));
        }
    }

    /// <summary>Whether a role (user) of that name exists.</summary>
    /// <exception cref="DatabaseFailure">The database could not be asked.</exception>
    public async Task<bool> RoleExistsAsync(string connectionString, string username, IReadOnlyList<string?> secrets, CancellationToken token)
    {
        try
        {
            await using var command = Source(connectionString).CreateCommand("SELECT 1 FROM pg_roles WHERE rolname = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = username });
            return await command.ExecuteScalarAsync(token) is not null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            throw new DatabaseFailure(Describe(e, secrets));
        }
    }

    /// <summary>Opens and closes one connection (verify_connection).</summary>
    /// <exception cref="DatabaseFailure">It could not be opened.</exception>
    public async Task VerifyAsync(string connectionString, IReadOnlyList<string?> secrets, CancellationToken token)
    {
        try
        {
            await using var command = Source(connectionString).CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(token);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            throw new DatabaseFailure(Describe(e, secrets));
        }
    }

    /// <summary>Closes the pools of a connection string no longer in use (a replaced or deleted connection).</summary>
    public async Task ForgetAsync(string connectionString)
    {
        if (sources.TryRemove(connectionString, out var source))
            await source.DisposeAsync();
    }

    private NpgsqlDataSource Source(string connectionString) => sources.GetOrAdd(connectionString, static cs => NpgsqlDataSource.Create(cs));

    // The database's own words (SQLSTATE and message), never the statement, with any secret removed.
    private static string Describe(Exception e, IReadOnlyList<string?> secrets)
    {
        var text = e switch
        {
            PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
            TimeoutException or NpgsqlException { InnerException: TimeoutException } => "the database did not answer in time",
            _ => e.Message,
        };
        return CredentialTemplates.Scrub(text, [.. secrets]);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in sources.Values)
            await source.DisposeAsync();
        sources.Clear();
    }
}
