namespace Quire.Server.Service;

/// <summary>The service's limits, whichever transport carries the request.</summary>
internal sealed record ServiceOptions
{
    /// <summary>How long a write waits for room in a full commit queue before it is refused as busy.</summary>
    public TimeSpan QueueWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a write to an event stream may wait for its client to read before the client is dropped.</summary>
    public TimeSpan SlowClientTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest request accepted.</summary>
    public long MaxRequestBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>The primary this server replicates (a read-only replica), or null for a primary.</summary>
    public string? ReplicaOf { get; init; }

    /// <summary>The largest response a query or log read sends; one that would pass it ends early, marked truncated (413 when nothing was sent yet).</summary>
    public long MaxResponseBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long a query may read before it is stopped; <see cref="TimeSpan.Zero"/>: no limit.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most databases the server holds; creating one more is refused (409).</summary>
    public int MaxDatabases { get; init; } = 1000;
}
