using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Quire.Server.Service;

/// <summary>
/// The live-query subscriptions open now, by id, so <c>DELETE .../subscribe/&lt;id&gt;</c> can
/// end one. A subscription removes itself when its stream ends (the client went, it was
/// deleted, or it was dropped as too slow).
/// </summary>
internal sealed class Subscriptions
{
    private readonly ConcurrentDictionary<string, (string Database, CancellationTokenSource Ending)> _open = new(StringComparer.Ordinal);

    /// <summary>How many are open.</summary>
    public int Count => _open.Count;

    /// <summary>Registers a new subscription on <paramref name="database"/>; its token is cancelled by <see cref="End"/> or the client's going.</summary>
    public (string Id, CancellationTokenSource Ending) Open(string database, CancellationToken clientGone)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var ending = CancellationTokenSource.CreateLinkedTokenSource(clientGone);
        _open[id] = (database, ending);
        return (id, ending);
    }

    /// <summary>Forgets a subscription whose stream ended.</summary>
    public void Close(string id)
    {
        if (_open.TryRemove(id, out var subscription))
        {
            subscription.Ending.Dispose();
        }
    }

    /// <summary>Ends the subscription <paramref name="id"/> of <paramref name="database"/>; false when there is none.</summary>
    public bool End(string database, string id)
    {
        if (!_open.TryGetValue(id, out var subscription) || subscription.Database != database)
        {
            return false;
        }

        try
        {
            subscription.Ending.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended on its own meanwhile.
        }

        return true;
    }
}
