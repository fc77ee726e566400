using System.Globalization;
using Quire.Databases;
using Quire.Documents;
using Quire.Server.Service;

namespace Quire.Server.Resp;

/// <summary>
/// One Redis connection's state: its database (nedbd's <c>SELECT &lt;name&gt;</c>: by name,
/// created if absent; <c>SELECT n</c> with a number means <c>db&lt;n&gt;</c>, so the default
/// <c>db0</c> is also Redis's database 0), its protocol (2, or 3 after <c>HELLO 3</c>), its
/// name and id, and whether it has given the server's token.
/// </summary>
internal sealed class RespSession(QuireService service, AccessTokens tokens, long id, PubSubHub? pubSub = null, Action? wake = null, Action? abort = null, KeyspaceNotifier? notifier = null)
{
    private Database? _database;
    private RespSubscriber? _subscriber;

    /// <summary>The server's pub/sub channels.</summary>
    public PubSubHub PubSub { get; } = pubSub ?? new PubSubHub();

    /// <summary>The server's keyspace notifications (null in a session of no server: CONFIG SET is then refused).</summary>
    public KeyspaceNotifier? Notifier => notifier;

    /// <summary>This connection's pub/sub listener, made on first use.</summary>
    public RespSubscriber Subscriber => _subscriber ??= new RespSubscriber(wake ?? (() => { }), abort ?? (() => { }));

    /// <summary>The listener when the connection has used pub/sub, else null.</summary>
    public RespSubscriber? OpenSubscriber => _subscriber;

    public QuireService Service => service;

    public long Id => id;

    public string DatabaseName { get; private set; } = "db0";

    public int Protocol { get; set; } = 2;

    public string? ClientName { get; set; }

    /// <summary>The clock expiries are measured by (the documents layer's default, the system clock).</summary>
    public TimeProvider Clock { get; } = TimeProvider.System;

    public bool Authenticated { get; private set; } = !tokens.Required;

    /// <summary>The commands queued since MULTI, or null outside a transaction.</summary>
    public List<(RespCommand Command, byte[][] Args)>? Queued { get; set; }

    /// <summary>Whether a command was refused while queueing (EXEC then aborts).</summary>
    public bool QueueFailed { get; set; }

    /// <summary>The keys WATCH named, each with its database and what it held then.</summary>
    public List<(string Database, byte[] Key, List<(string Collection, string Id, long Version)> Seen)> Watched { get; } = [];

    /// <summary>
    /// Checks a password (<c>AUTH</c>, <c>HELLO ... AUTH</c>) against the server's tokens: the
    /// Redis port takes full-access ones only (a read-only or per-database token is for HTTP).
    /// </summary>
    public bool Authenticate(string password)
    {
        Authenticated = tokens.Find(password) is { IsFull: true };
        return Authenticated;
    }

    /// <summary>Switches to the database <paramref name="name"/> (a number n meaning <c>db&lt;n&gt;</c>).</summary>
    /// <exception cref="InvalidNameException">Not a valid database name.</exception>
    public void Select(string name)
    {
        if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            name = $"db{number}";
        }

        Names.CheckDatabase(name);
        DatabaseName = name;
        _database = null;
    }

    /// <summary>The selected database when a command has opened it already, else null.</summary>
    public Database? OpenDatabase => _database;

    /// <summary>The selected database, created on first use.</summary>
    public async ValueTask<Database> DatabaseAsync(CancellationToken cancellationToken)
    {
        if (_database is { } open)
        {
            return open;
        }

        try
        {
            _database = service.Get(DatabaseName);
        }
        catch (DatabaseNotFoundException)
        {
            try
            {
                _database = await service.CreateAsync(DatabaseName, DatabaseSeed.Empty, cancellationToken).ConfigureAwait(false);
            }
            catch (DatabaseExistsException)
            {
                _database = service.Get(DatabaseName);   // another connection created it meanwhile
            }
        }

        notifier?.Watch(_database);   // a database created here is followed from its first write
        return _database;
    }
}
