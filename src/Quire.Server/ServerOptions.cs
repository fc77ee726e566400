using Quire.Databases;

namespace Quire.Server;

/// <summary>How <c>quire serve</c> runs. Every option has a default; the command line and NEDBD_* variables set them.</summary>
public sealed record ServerOptions
{
    /// <summary>The address to listen on. Default 127.0.0.1 (env NEDBD_HOST).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The HTTP/1.1 port. Default 7070 (env NEDBD_PORT).</summary>
    public int Port { get; init; } = 7070;

    /// <summary>The HTTP/2 cleartext (prior knowledge) port; 0 disables it. Default 7071.</summary>
    public int H2cPort { get; init; } = 7071;

    /// <summary>The Redis protocol port (RESP2, RESP3 after <c>HELLO 3</c>); 0, the default, serves none.</summary>
    public int Resp2Port { get; init; }

    /// <summary>The primary to replicate (its URL): this server becomes a read-only replica of it. Null: a primary.</summary>
    public string? ReplicaOf { get; init; }

    /// <summary>Archive every database continuously to this <c>s3://bucket/prefix</c>, or null for none.</summary>
    public string? Archive { get; init; }

    /// <summary>The S3-compatible service's URL (radosgw, MinIO, ...); null: AWS, by <c>AWS_REGION</c>.</summary>
    public Uri? S3Endpoint { get; init; }

    /// <summary>The longest an acknowledged write waits to be archived (the recovery point): the log is uploaded at least this often.</summary>
    public TimeSpan ArchiveInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How far back the archive stays restorable (what is older is deleted); null: keep everything.</summary>
    public TimeSpan? ArchiveRetain { get; init; }

    /// <summary>On a replica: the primary's archive (<c>s3://bucket/prefix</c>) to make a database it lacks from, before following the primary; null: copy from the primary.</summary>
    public string? BootstrapFrom { get; init; }

    /// <summary>The primary's bearer token, when it has one.</summary>
    public string? ReplicaToken { get; init; }

    /// <summary>A primary's synchronous replicas: a write is acknowledged once this many have it durable (0: asynchronous).</summary>
    public int SyncReplicas { get; init; }

    /// <summary>
    /// The most log a primary keeps for one replica that is behind (bytes): past it the
    /// replica is cut off and starts again from a copy of the database. Default 1 GiB.
    /// </summary>
    public long ReplicaMaxLogBytes { get; init; } = 1L << 30;

    /// <summary>How long a write waits for its synchronous replicas before it fails with 503.</summary>
    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Web page origins (<c>https://app.example</c>) allowed to call a server without a token
    /// from a browser; <c>*</c> allows any. Without a token, a request from any other page is
    /// refused (403). With a token every origin is allowed (nedbd's <c>*</c>).
    /// </summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>A JSON file of more tokens, each full, read-only or limited to some databases (see docs/http.md); null: none.</summary>
    public string? TokenFile { get; init; }

    /// <summary>The most databases the server holds; creating one more is refused (409). Default 1,000.</summary>
    public int MaxDatabases { get; init; } = 1000;

    /// <summary>
    /// The largest response a query or <c>/log</c> sends (bytes): one that would pass it ends
    /// early with <c>"truncated": true</c> and an <c>"error"</c>, or is a 413 when nothing was
    /// sent yet. Default 64 MiB.
    /// </summary>
    public long MaxResponseBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long a query may read before it is stopped (503, or a truncated answer); zero: no limit. Default 30 s.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Serve <c>/metrics</c> without the token (a Prometheus scraper without it); by default it needs the token when one is set.</summary>
    public bool MetricsOpen { get; init; }

    /// <summary>The directory holding the databases. Default ./data (env NEDBD_DATA).</summary>
    public string DataRoot { get; init; } = "./data";

    /// <summary>When set, every /v1 route needs <c>Authorization: Bearer &lt;token&gt;</c> (env NEDBD_TOKEN).</summary>
    public string? Token { get; init; }

    /// <summary>The largest request body accepted; larger ones get 413. Default 32 MiB.</summary>
    public long MaxBodyBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// How long a write waits for room in a full commit queue before it gets 429 with
    /// Retry-After. Default 20 s (nedbd's clients count any 429 as a failed write);
    /// zero answers 429 at once.
    /// </summary>
    public TimeSpan QueueWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a write to an event stream (a subscription) may wait for its client to read
    /// before the client is disconnected as too slow. Default 10 s.
    /// </summary>
    public TimeSpan SlowClientTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The TLS port (HTTP/1.1 and HTTP/2 by ALPN); 0, the default, serves no TLS. Needs <see cref="TlsCertificatePath"/>.</summary>
    public int TlsPort { get; init; }

    /// <summary>The server certificate for <see cref="TlsPort"/>: a PKCS#12 (.pfx) file.</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>The password of <see cref="TlsCertificatePath"/>, if it has one.</summary>
    public string? TlsCertificatePassword { get; init; }

    /// <summary>The least severe log level written. Information logs every request (method, route, status, milliseconds); default Warning.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Warning;

    /// <summary>The databases' options.</summary>
    public DatabaseOptions Databases { get; init; } = new();
}
