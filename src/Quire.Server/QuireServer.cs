using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Quire.Databases;
using Quire.Replication.Archive;
using Quire.Replication.ObjectStore;
using Quire.Server.Archive;
using Quire.Server.Http;
using Quire.Server.Replication;
using Quire.Server.Resp;
using Quire.Server.Service;

namespace Quire.Server;

/// <summary>
/// <c>quire serve</c>: the nedbd-compatible HTTP API on Kestrel, HTTP/1.1 on
/// <see cref="ServerOptions.Port"/> and HTTP/2 with prior knowledge on
/// <see cref="ServerOptions.H2cPort"/>, and the Redis protocol on <see cref="ServerOptions.Resp2Port"/>
/// when given. The port answers before any database is opened
/// (each opens on first use, in constant time); stopping finishes requests in flight
/// and closes every database with a last checkpoint.
/// </summary>
public static class QuireServer
{
    /// <summary>Runs until <paramref name="stopping"/> is cancelled (or SIGINT/SIGTERM).</summary>
    public static async Task RunAsync(ServerOptions options, CancellationToken stopping = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        using var events = new ServerEvents();
        builder.Logging.AddProvider(events);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);   // a failed start is reported by the caller, without a stack trace
        var address = IPAddress.Parse(options.Host == "localhost" ? "127.0.0.1" : options.Host);
        var h2c = options.H2cPort;
        ILogger? warnings = null;
        if (h2c != 0 && !PortIsFree(address, h2c))
        {
            h2c = 0;
        }

        if (options.ReplicaOf is { } primaryUrl && !Uri.TryCreate(primaryUrl, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"--replica-of needs the primary's URL (http://host:port), not '{primaryUrl}'");
        }

        ILogger? background = null;   // the host's logger, once it is built
        var databases = options.Databases with
        {
            ReplicaOf = options.ReplicaOf ?? options.Databases.ReplicaOf,
            OnBackgroundFailure = (what, ex) => background?.LogError("{What}: {Reason}", what, ex.Message),
        };
        using var catalog = DatabaseCatalog.Open(options.DataRoot, databases);
        var service = new QuireService(catalog, new ServiceOptions { QueueWait = options.QueueWait, MaxRequestBytes = options.MaxBodyBytes, SlowClientTimeout = options.SlowClientTimeout, ReplicaOf = options.ReplicaOf, MaxDatabases = options.MaxDatabases, MaxResponseBytes = options.MaxResponseBytes, QueryTimeout = options.QueryTimeout });
        var epoch = new ReplicationEpoch(options.DataRoot);
        var tokens = AccessTokens.Load(options.Token, options.TokenFile);
        var resp = new RespConnectionHandler(service, tokens);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
            if (h2c != 0)
            {
                kestrel.Listen(address, h2c, listen => listen.Protocols = HttpProtocols.Http2);
            }

            if (options.Resp2Port != 0)
            {
                kestrel.Listen(address, options.Resp2Port, listen => listen.Use(_ => resp.OnConnectedAsync));
            }

            if (options.TlsPort != 0)
            {
                if (options.TlsCertificatePath is null)
                {
                    throw new ArgumentException("a TLS port needs a certificate (--tls-cert)");
                }

                kestrel.Listen(address, options.TlsPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;   // chosen by ALPN
                    listen.UseHttps(options.TlsCertificatePath, options.TlsCertificatePassword);
                });
            }
        });

        await using var app = builder.Build();
        warnings = app.Logger;
        if (h2c == 0 && options.H2cPort != 0)
        {
            warnings.LogWarning("h2c port {Port} is in use: serving HTTP/1.1 on {Main} only", options.H2cPort, options.Port);
        }

        resp.Logger = app.Logger;
        background = app.Logger;
        using var replicas = new ReplicaRegistry(options.ReplicaMaxLogBytes, app.Logger);
        using var bootstrap = options.BootstrapFrom is { } from ? new ArchiveBootstrap(S3Location.Parse(from), options.S3Endpoint) : null;
        using var follower = options.ReplicaOf is { } primary
            ? new ReplicaFollower(service, new Uri(primary), options.ReplicaToken, ReplicationStatus.ReplicaId(options.DataRoot), epoch, app.Logger, bootstrap)
            : null;
        var sync = options.SyncReplicas > 0 ? new SyncReplicas(replicas, options.SyncReplicas, options.SyncTimeout) : null;
        service.Confirmation = sync;
        var guard = new BrowserGuard(tokens.Required, options.CorsOrigins, IPAddress.IsLoopback(address));
        await using var archive = options.Archive is { } location
            ? new ArchiveService(service, S3Location.Parse(location), options.S3Endpoint, new ArchiverOptions { Interval = options.ArchiveInterval, Retain = options.ArchiveRetain }, app.Logger)
            : null;
        using var api = new HttpApi(service, tokens, app.Logger, events, new ReplicationStatus(replicas, follower, service, sync, epoch) { Archive = archive }, guard, options.MetricsOpen);
        follower?.Start();
        archive?.Start();
        app.Run(api.HandleAsync);
        // SIGINT/SIGTERM stop the host; so does the caller's token.
        using var stop = stopping.Register(() => app.Lifetime.StopApplication());
        await app.RunAsync().ConfigureAwait(false);
    }

    private static bool PortIsFree(IPAddress address, int port)
    {
        try
        {
            using var probe = new TcpListener(address, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
