using System.CommandLine;
using Quire.Server;

namespace Quire.Cli;

/// <summary>
/// <c>quire serve</c>: nedbd's flags and environment variables (a flag overrides its
/// variable), plus Quire's own. Runs until SIGINT or SIGTERM.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServerOptions();
        var host = new Option<string>("--host") { Description = "Address to listen on (env NEDBD_HOST)", DefaultValueFactory = _ => Env("NEDBD_HOST") ?? defaults.Host };
        var port = new Option<int>("--port") { Description = "HTTP/1.1 port (env NEDBD_PORT)", DefaultValueFactory = _ => EnvInt("NEDBD_PORT") ?? defaults.Port };
        var data = new Option<string>("--data") { Description = "Directory of the databases (env NEDBD_DATA)", DefaultValueFactory = _ => Env("NEDBD_DATA") ?? defaults.DataRoot };
        var token = new Option<string?>("--token") { Description = "Bearer token every /v1 route needs (env NEDBD_TOKEN)", DefaultValueFactory = _ => Env("NEDBD_TOKEN") };
        var resp2 = new Option<int>("--resp2-port") { Description = "Redis protocol port, RESP2 and RESP3 after HELLO 3 (env NEDBD_RESP2_PORT); 0 disables", DefaultValueFactory = _ => EnvInt("NEDBD_RESP2_PORT") ?? 0 };
        var h2c = new Option<int>("--h2c-port") { Description = "HTTP/2 cleartext port, 0 disables", DefaultValueFactory = _ => defaults.H2cPort };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 beyond)", DefaultValueFactory = _ => defaults.MaxBodyBytes };
        var slowClient = new Option<int>("--slow-client-ms") { Description = "How long an event stream's write waits for its client to read before dropping it", DefaultValueFactory = _ => (int)defaults.SlowClientTimeout.TotalMilliseconds };
        var queueWait = new Option<int>("--queue-wait-ms") { Description = "How long a write waits for room in a full commit queue before 429 (0: at once)", DefaultValueFactory = _ => (int)defaults.QueueWait.TotalMilliseconds };
        var maxQueued = new Option<int>("--max-queued-commits") { Description = "Commits a database's queue holds before writes wait", DefaultValueFactory = _ => defaults.Databases.Storage.MaxQueuedCommits };
        var tlsPort = new Option<int>("--tls-port") { Description = "TLS port (HTTP/1.1 and HTTP/2 by ALPN); 0 disables", DefaultValueFactory = _ => 0 };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "Server certificate for --tls-port, a .pfx file" };
        var tlsPassword = new Option<string?>("--tls-cert-password") { Description = "Password of the .pfx file" };
        var logLevel = new Option<string>("--log-level") { Description = "0 errors only, 1 every request, 2 and more detail, 3 everything (nedbd's), or a level name (Warning, Information, ...)", DefaultValueFactory = _ => defaults.LogLevel.ToString() };
        var sweep = new Option<double>("--sweep-s") { Description = "Seconds between sweeps of expired documents, 0 disables (env NEDBD_SWEEP_S)", DefaultValueFactory = _ => EnvDouble("NEDBD_SWEEP_S") ?? 30 };
        var checkpointMinutes = new Option<int>("--checkpoint-interval") { Description = "Minutes between timed checkpoints, 0 keeps Quire's default of 60 s (env NEDBD_CHECKPOINT_INTERVAL)", DefaultValueFactory = _ => EnvInt("NEDBD_CHECKPOINT_INTERVAL") ?? 0 };
        var opLogRetention = new Option<long>("--oplog-retention") { Description = "How many of the latest ops the op log keeps for since, changes and TRACE", DefaultValueFactory = _ => defaults.Databases.OpLogRetention };
        var noHistory = new Option<bool>("--no-history") { Description = "Keep no past versions: AS OF is refused, writes skip keeping them" };
        var historyRetention = new Option<long>("--history-retention") { Description = "How many of the latest ops AS OF reaches back over, 0: as far as the op log (--oplog-retention)", DefaultValueFactory = _ => 0 };
        var historyAge = new Option<double>("--history-retention-s") { Description = "How many seconds AS OF reaches back, 0: no age limit (the shorter of this and --history-retention wins)", DefaultValueFactory = _ => 0 };
        var replicaOf = new Option<string?>("--replica-of") { Description = "Run as a read-only replica of the primary at this URL, e.g. http://10.0.0.1:7070 (env QUIRE_REPLICA_OF)", DefaultValueFactory = _ => Env("QUIRE_REPLICA_OF") };
        var replicaToken = new Option<string?>("--replica-token") { Description = "The primary's bearer token, when it has one (env QUIRE_REPLICA_TOKEN)", DefaultValueFactory = _ => Env("QUIRE_REPLICA_TOKEN") };
        var syncReplicas = new Option<int>("--sync-replicas") { Description = "Acknowledge a write once this many replicas have it durable (0: asynchronous replication)", DefaultValueFactory = _ => 0 };
        var syncTimeout = new Option<int>("--sync-timeout-ms") { Description = "How long a write waits for its synchronous replicas before it fails with 503", DefaultValueFactory = _ => (int)defaults.SyncTimeout.TotalMilliseconds };
        var replicaMaxLog = new Option<long>("--replica-max-log-bytes") { Description = "The most log kept for a replica that is behind; past it the replica starts again from a copy", DefaultValueFactory = _ => defaults.ReplicaMaxLogBytes };
        var corsOrigins = new Option<string?>("--cors-origins") { Description = "Comma-separated web page origins allowed to call a server without a token, * for any (env QUIRE_CORS_ORIGINS)", DefaultValueFactory = _ => Env("QUIRE_CORS_ORIGINS") };
        var metricsOpen = new Option<bool>("--metrics-open") { Description = "Serve /metrics without the token (a Prometheus scraper without it)" };
        var maxDatabases = new Option<int>("--max-databases") { Description = "The most databases the server holds; creating one more is refused (409)", DefaultValueFactory = _ => defaults.MaxDatabases };
        var maxResponse = new Option<long>("--max-response-bytes") { Description = "Largest query or log response; a larger one ends early, marked truncated (413 when nothing was sent)", DefaultValueFactory = _ => defaults.MaxResponseBytes };
        var queryTimeout = new Option<int>("--query-timeout-ms") { Description = "How long a query may read before it is stopped (0: no limit)", DefaultValueFactory = _ => (int)defaults.QueryTimeout.TotalMilliseconds };
        var tokenFile = new Option<string?>("--token-file") { Description = "A JSON file of more tokens, each full, read-only or limited to some databases (env QUIRE_TOKEN_FILE)", DefaultValueFactory = _ => Env("QUIRE_TOKEN_FILE") };
        var archive = new Option<string?>("--archive") { Description = "Archive every database continuously to s3://bucket/prefix (credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) (env QUIRE_ARCHIVE)", DefaultValueFactory = _ => Env("QUIRE_ARCHIVE") };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "The S3-compatible service's URL, e.g. http://127.0.0.1:7480 for radosgw (default: AWS) (env AWS_ENDPOINT_URL_S3)", DefaultValueFactory = _ => Env("AWS_ENDPOINT_URL_S3") };
        var archiveInterval = new Option<int>("--archive-interval-ms") { Description = "Upload the log at least this often: the most an acknowledged write waits to be archived", DefaultValueFactory = _ => 1000 };
        var archiveRetain = new Option<string?>("--archive-retain") { Description = "Keep the archive restorable this far back (90s, 30m, 12h, 7d) and delete what is older; default: keep everything (env QUIRE_ARCHIVE_RETAIN)", DefaultValueFactory = _ => Env("QUIRE_ARCHIVE_RETAIN") };
        var bootstrapFrom = new Option<string?>("--bootstrap-from") { Description = "On a replica: make a database it lacks from the primary's archive at s3://bucket/prefix, then follow the primary from there (env QUIRE_BOOTSTRAP_FROM)", DefaultValueFactory = _ => Env("QUIRE_BOOTSTRAP_FROM") };
        var keyFile = Keys.MasterKeyOptions.KeyFile();
        var command = new Command("serve", "Run the nedbd-compatible HTTP server.")
        {
            keyFile,
            host, port, data, token, resp2, h2c, maxBody, queueWait, maxQueued, tlsPort, tlsCert, tlsPassword, logLevel, sweep, checkpointMinutes, slowClient,
            opLogRetention, noHistory, historyRetention, historyAge, replicaOf, replicaToken, syncReplicas, syncTimeout, replicaMaxLog, corsOrigins, metricsOpen, maxDatabases, tokenFile,
            maxResponse, queryTimeout, archive, s3Endpoint, archiveInterval, archiveRetain, bootstrapFrom,
        };
        command.SetAction(async (result, cancellation) =>
        {
            if (result.GetValue(tlsPort) != 0 && result.GetValue(tlsCert) is null)
            {
                await Console.Error.WriteLineAsync("quire serve: --tls-port needs --tls-cert (a .pfx file)").ConfigureAwait(false);
                return 2;
            }

            if (result.GetValue(tlsCert) is { } certificate && !File.Exists(certificate))
            {
                await Console.Error.WriteLineAsync($"quire serve: the certificate file {certificate} does not exist").ConfigureAwait(false);
                return 2;
            }

            if (result.GetValue(replicaMaxLog) < 1)
            {
                await Console.Error.WriteLineAsync("quire serve: --replica-max-log-bytes must be at least 1").ConfigureAwait(false);
                return 2;
            }

            Uri? endpoint = null;
            if (result.GetValue(s3Endpoint) is { } url && !Uri.TryCreate(url, UriKind.Absolute, out endpoint))
            {
                await Console.Error.WriteLineAsync($"quire serve: --s3-endpoint {url} is not a URL (http://host:port)").ConfigureAwait(false);
                return 2;
            }

            TimeSpan? retain = null;
            if (result.GetValue(archiveRetain) is { } retainText && (retain = DurationText.Parse(retainText)) is null)
            {
                await Console.Error.WriteLineAsync($"quire serve: --archive-retain {retainText} is not a duration (90s, 30m, 12h, 7d)").ConfigureAwait(false);
                return 2;
            }

            if (LogLevels.Parse(result.GetValue(logLevel)!) is not { } level)
            {
                await Console.Error.WriteLineAsync($"quire serve: --log-level {result.GetValue(logLevel)} is not 0-3 or a level name (Warning, Information, ...)").ConfigureAwait(false);
                return 2;
            }

            if (result.GetValue(opLogRetention) < 1 || result.GetValue(historyRetention) < 0 || result.GetValue(historyAge) < 0)
            {
                await Console.Error.WriteLineAsync("quire serve: --oplog-retention must be at least 1, --history-retention and --history-retention-s at least 0").ConfigureAwait(false);
                return 2;
            }

            Storage.Crypto.MasterKey? masterKey;
            try
            {
                masterKey = Keys.MasterKeyOptions.Resolve(result.GetValue(keyFile));
            }
            catch (Client.CliError ex)
            {
                await Console.Error.WriteLineAsync($"quire serve: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            var sweepSeconds = result.GetValue(sweep);
            var storage = defaults.Databases.Storage with { MaxQueuedCommits = Math.Max(1, result.GetValue(maxQueued)), MasterKey = masterKey };
            if (result.GetValue(checkpointMinutes) > 0)
            {
                storage = storage with { CheckpointInterval = TimeSpan.FromMinutes(result.GetValue(checkpointMinutes)) };
            }

            var options = new ServerOptions
            {
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                DataRoot = result.GetValue(data)!,
                Token = result.GetValue(token),
                H2cPort = result.GetValue(h2c),
                Resp2Port = result.GetValue(resp2),
                ReplicaOf = result.GetValue(replicaOf),
                Archive = result.GetValue(archive),
                S3Endpoint = endpoint,
                ArchiveInterval = TimeSpan.FromMilliseconds(result.GetValue(archiveInterval)),
                ArchiveRetain = retain,
                BootstrapFrom = result.GetValue(bootstrapFrom),
                ReplicaToken = result.GetValue(replicaToken),
                SyncReplicas = Math.Max(0, result.GetValue(syncReplicas)),
                SyncTimeout = TimeSpan.FromMilliseconds(Math.Max(1, result.GetValue(syncTimeout))),
                ReplicaMaxLogBytes = result.GetValue(replicaMaxLog),
                MetricsOpen = result.GetValue(metricsOpen),
                MaxDatabases = result.GetValue(maxDatabases),
                TokenFile = result.GetValue(tokenFile),
                CorsOrigins = (result.GetValue(corsOrigins) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                MaxBodyBytes = result.GetValue(maxBody),
                MaxResponseBytes = result.GetValue(maxResponse),
                QueryTimeout = TimeSpan.FromMilliseconds(result.GetValue(queryTimeout)),
                QueueWait = TimeSpan.FromMilliseconds(Math.Max(0, result.GetValue(queueWait))),
                SlowClientTimeout = TimeSpan.FromMilliseconds(Math.Max(1, result.GetValue(slowClient))),
                TlsPort = result.GetValue(tlsPort),
                TlsCertificatePath = result.GetValue(tlsCert),
                TlsCertificatePassword = result.GetValue(tlsPassword),
                LogLevel = level,
                Databases = defaults.Databases with
                {
                    Storage = storage,
                    SweepExpired = sweepSeconds > 0,
                    ExpiryScanInterval = sweepSeconds > 0 ? TimeSpan.FromSeconds(sweepSeconds) : defaults.Databases.ExpiryScanInterval,
                    OpLogRetention = result.GetValue(opLogRetention),
                    KeepHistory = !result.GetValue(noHistory),
                    HistoryRetention = result.GetValue(historyRetention) is > 0 and var ops ? ops : null,
                    HistoryRetentionAge = result.GetValue(historyAge) is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : null,
                },
            };
            if (ServeOptionsCheck.Problem(options) is { } problem)
            {
                await Console.Error.WriteLineAsync($"quire serve: {problem}").ConfigureAwait(false);
                return 2;
            }

            Console.WriteLine($"quire serve: http://{options.Host}:{options.Port} (HTTP/1.1){(options.H2cPort != 0 ? $", h2c on {options.H2cPort}" : "")}{(options.TlsPort != 0 ? $", TLS on {options.TlsPort}" : "")}{(options.Resp2Port != 0 ? $", Redis protocol on {options.Resp2Port}" : "")}{(options.ReplicaOf is { } primary ? $", read-only replica of {primary}" : "")}{(masterKey is not null ? $", encrypting new databases (master key {masterKey.FingerprintHex})" : "")}, data in {Path.GetFullPath(options.DataRoot)}");
            try
            {
                await QuireServer.RunAsync(options, cancellation).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"quire serve: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await Console.Error.WriteLineAsync($"quire serve: {ex.Message} (another server has that port; choose another with --port, --h2c-port, --tls-port or --resp2-port)").ConfigureAwait(false);
                return 2;
            }

            return 0;
        });
        return command;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static double? EnvDouble(string name) => ServeOptionsCheck.EnvDouble(name);

    private static int? EnvInt(string name) => ServeOptionsCheck.EnvInt(name);
}
