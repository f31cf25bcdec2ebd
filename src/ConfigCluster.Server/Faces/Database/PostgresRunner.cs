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
    public Task RunAsync(string connectionString, IEnumerable<string> statements, IReadOnlyList<string?> secrets, CancellationToken token)
        => RetryingAsync(async () =>
        {
            await using var connection = await Source(connectionString).OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            foreach (var statement in statements)
            {
                await using var command = new NpgsqlCommand(statement, connection, transaction);
                await command.ExecuteNonQueryAsync(token);
            }

            await transaction.CommitAsync(token);
            return true;
        }, secrets, token);

    /// <summary>
    /// Drops a user with <paramref name="statements"/>, in one transaction that first takes an
    /// advisory lock on the user's name and checks the user still exists: two nodes revoking the
    /// same lease at once (an explicit revoke and the leader's loop) run one after the other, and the
    /// second finds nothing left to do. False when the user did not exist.
    /// </summary>
    /// <exception cref="DatabaseFailure">The database refused a statement or could not be reached.</exception>
    public Task<bool> DropUserAsync(string connectionString, string username, IEnumerable<string> statements, IReadOnlyList<string?> secrets, CancellationToken token)
        => RetryingAsync(async () =>
        {
            await using var connection = await Source(connectionString).OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using (var claim = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, transaction) { Parameters = { new NpgsqlParameter { Value = username } } })
                await claim.ExecuteNonQueryAsync(token);
            await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", connection, transaction) { Parameters = { new NpgsqlParameter { Value = username } } })
            {
                if (await exists.ExecuteScalarAsync(token) is null)
                {
                    await transaction.CommitAsync(token);
                    return false;
                }
            }

            foreach (var statement in statements)
            {
                await using var command = new NpgsqlCommand(statement, connection, transaction);
                await command.ExecuteNonQueryAsync(token);
            }

            await transaction.CommitAsync(token);
            return true;
        }, secrets, token);

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

    // One transaction per attempt. PostgreSQL fails concurrent GRANTs and REVOKEs on the same table
    // ("tuple concurrently updated"), and serialization failures and deadlocks are transient too:
    // the whole transaction rolled back, so it is run again (three attempts, 20 then 80 ms apart).
    private static async Task<T> RetryingAsync<T>(Func<Task<T>> attempt, IReadOnlyList<string?> secrets, CancellationToken token)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (PostgresException e) when (tries < 3 && IsTransient(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(tries == 1 ? 20 : 80), token);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                throw new DatabaseFailure(Describe(e, secrets));
            }
        }
    }

    private static bool IsTransient(PostgresException e)
        => e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
           || (e.SqlState == PostgresErrorCodes.InternalError && e.MessageText.Contains("concurrently updated", StringComparison.Ordinal));

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
