using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Quire.Databases;
using Quire.OpLog;
using Quire.Server.Service;

namespace Quire.Server.Resp;

/// <summary>
/// Redis keyspace notifications, fed by each database's change feed: with
/// <c>notify-keyspace-events</c> set (CONFIG SET, off by default as in Redis), every document
/// written to a Redis key, by any client (Redis, HTTP, NQL), is published on
/// <c>__keyspace@&lt;db&gt;__:&lt;key&gt;</c> (the event as message) and
/// <c>__keyevent@&lt;db&gt;__:&lt;event&gt;</c> (the key as message). The event names what
/// happened to the document: <c>set</c> / <c>del</c> for a string, <c>hset</c> / <c>hdel</c>
/// for a hash field, <c>sadd</c> / <c>srem</c> for a set member, <c>lset</c> / <c>lrem</c>
/// for a list element. <c>&lt;db&gt;</c> is n for database <c>db&lt;n&gt;</c>, else the name.
/// </summary>
internal sealed class KeyspaceNotifier(QuireService service, PubSubHub hub, Func<ILogger> logger)
{
    /// <summary>The event classes Redis knows; Quire sends K, E, g, $, h, s, l (A: all).</summary>
    private const string Classes = "KEg$lshzxetmdnA";

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _pumps = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private string _flags = "";
    private CancellationTokenSource? _running;

    /// <summary>The classes enabled, as CONFIG GET shows them (empty: off).</summary>
    public string Flags => Volatile.Read(ref _flags);

    /// <summary>Sets the classes (CONFIG SET notify-keyspace-events); false for a character Redis does not know.</summary>
    public bool TrySet(string flags)
    {
        if (flags.Any(c => !Classes.Contains(c, StringComparison.Ordinal)))
        {
            return false;
        }

        lock (_gate)
        {
            Volatile.Write(ref _flags, flags);
            var on = (flags.Contains('K', StringComparison.Ordinal) || flags.Contains('E', StringComparison.Ordinal)) && flags.Length > 1;
            if (on && _running is null)
            {
                _running = new CancellationTokenSource();
                StartMissingPumps(_running.Token);   // before the OK: every write after it is notified
                _ = FollowDatabasesAsync(_running.Token);
            }
            else if (!on && _running is { } running)
            {
                running.Cancel();
                running.Dispose();
                _running = null;
            }
        }

        return true;
    }

    /// <summary>While notifications are on: every second, a change-feed reader for each database that has none.</summary>
    private async Task FollowDatabasesAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                StartMissingPumps(stop);
            }
        }
        catch (OperationCanceledException)
        {
            // Notifications were turned off.
        }
        catch (Exception ex) when (ex is ObjectDisposedException or DatabaseNotFoundException)
        {
            // The server is stopping, or a database went as it was listed: the next pass lists again.
        }
    }

    /// <summary>Follows <paramref name="db"/> (a Redis connection opened it) if notifications are on and nothing follows it yet.</summary>
    public void Watch(Database db)
    {
        if (_running is { } running)
        {
            try
            {
                Start(db, running.Token);
            }
            catch (ObjectDisposedException)
            {
                // Turned off meanwhile.
            }
        }
    }

    private void StartMissingPumps(CancellationToken stop)
    {
        foreach (var name in service.DatabaseNames())
        {
            if (!_pumps.ContainsKey(name))
            {
                Start(service.Get(name), stop);
            }
        }
    }

    private void Start(Database db, CancellationToken stop)
    {
        if (_pumps.ContainsKey(db.Name))
        {
            return;
        }

        var pump = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (_pumps.TryAdd(db.Name, pump))
        {
            _ = PumpAsync(db, pump);
        }
        else
        {
            pump.Dispose();
        }
    }

    private async Task PumpAsync(Database db, CancellationTokenSource pump)
    {
        try
        {
            await foreach (var node in db.ChangesAsync(db.Seq, pump.Token).ConfigureAwait(false))
            {
                Notify(db.Name, node);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Turned off, or the database was dropped.
        }
        catch (Exception ex)
        {
            // The feed fell behind what the op log keeps, say: the next pass starts a reader from now.
            logger().LogWarning("keyspace notifications for {Database} restart: {Reason}", db.Name, ex.Message);
        }
        finally
        {
            _pumps.TryRemove(KeyValuePair.Create(db.Name, pump));
            pump.Dispose();
        }
    }

    private void Notify(string database, OpNode node)
    {
        if (node.Coll is not { } collection || node.Id is not { } id || node.Op is not ("put" or "del"))
        {
            return;
        }

        var put = node.Op == "put";
        (byte[] Key, string Event, char Class)? change = collection == RedisStore.Strings
            ? (RedisKeys.KeyOf(id), put ? "set" : "del", put ? '$' : 'g')
            : RedisCollections.Parse(collection) switch
            {
                { Kind: AggregateKind.Hash } hash => (hash.Key, put ? "hset" : "hdel", 'h'),
                { Kind: AggregateKind.Set } set => (set.Key, put ? "sadd" : "srem", 's'),
                { Kind: AggregateKind.List } list => (list.Key, put ? "lset" : "lrem", 'l'),
                _ => null,
            };
        var flags = Flags;
        if (change is not { } c || !(flags.Contains(c.Class, StringComparison.Ordinal) || flags.Contains('A', StringComparison.Ordinal)))
        {
            return;
        }

        var number = database.StartsWith("db", StringComparison.Ordinal) && int.TryParse(database.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n.ToString(CultureInfo.InvariantCulture) : database;
        if (flags.Contains('K', StringComparison.Ordinal))
        {
            hub.Publish([.. Encoding.UTF8.GetBytes($"__keyspace@{number}__:"), .. c.Key], Encoding.UTF8.GetBytes(c.Event));
        }

        if (flags.Contains('E', StringComparison.Ordinal))
        {
            hub.Publish(Encoding.UTF8.GetBytes($"__keyevent@{number}__:{c.Event}"), c.Key);
        }
    }
}
