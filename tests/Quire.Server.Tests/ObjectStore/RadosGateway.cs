using Amazon.Runtime;
using Quire.Replication.ObjectStore;
using Quire.TestSupport;

namespace Quire.Server.Tests.ObjectStore;

/// <summary>
/// A real S3 server for the tests that need one: a one-node Ceph cluster with its RADOS
/// Gateway on loopback (<c>tools/rgw/start.sh</c>, which installs Debian's ceph packages when
/// missing), started once for the tests of the <c>rgw</c> collection and stopped after them.
/// </summary>
public sealed class RadosGateway : IDisposable
{
    private const string AccessKey = "quire-test";
    private const string SecretKey = "quire-test-secret";
    private readonly TempDirectory _directory = new("quire-rgw");

    public RadosGateway()
    {
        var port = FreePortRun(3);   // the gateway, then the monitor's two ports
        var (code, output, error) = Programs.Run(
            Path.Combine(RepositoryRoot.Path, "tools", "rgw", "start.sh"), [_directory.Path, $"{port}", AccessKey, SecretKey], timeout: TimeSpan.FromMinutes(8));
        if (code != 0)
        {
            Stop();
            throw new InvalidOperationException($"radosgw did not start ({code}): {output}{error}{Logs()}");
        }

        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>The gateway's URL.</summary>
    public Uri Endpoint { get; }

    /// <summary>The test user's keys.</summary>
    public static BasicAWSCredentials Credentials => new(AccessKey, SecretKey);

    /// <summary>The environment that gives a process the test user's keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).</summary>
    public static IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = AccessKey, ["AWS_SECRET_ACCESS_KEY"] = SecretKey };

    /// <summary>A store on a new bucket of its own.</summary>
    public async Task<S3ObjectStore> NewBucketAsync()
    {
        var store = new S3ObjectStore($"t-{Guid.NewGuid():N}"[..30], Endpoint, Credentials);
        await store.EnsureBucketAsync();
        return store;
    }

    public void Dispose()
    {
        Stop();
        _directory.Dispose();
    }

    private void Stop() => Programs.Run(Path.Combine(RepositoryRoot.Path, "tools", "rgw", "stop.sh"), [_directory.Path], timeout: TimeSpan.FromMinutes(1));

    private string Logs() => string.Join("\n", Directory.Exists(Path.Combine(_directory.Path, "log"))
        ? Directory.GetFiles(Path.Combine(_directory.Path, "log")).Select(f => $"--- {f}\n{string.Join("\n", File.ReadLines(f).TakeLast(15))}")
        : []);

    /// <summary>A port with the next <paramref name="count"/> - 1 free too.</summary>
    private static int FreePortRun(int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = ServerProcess.FreePort();
            if (port + count < 65535 && Enumerable.Range(port + 1, count - 1).All(IsFree))
            {
                return port;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}

/// <summary>
/// The tests that share one <see cref="RadosGateway"/>. They run alone, after the others: installing
/// and starting Ceph takes both cores for a while, which the timing-bound tests (a synchronous
/// replica's rounds) must not share.
/// </summary>
[CollectionDefinition("rgw", DisableParallelization = true)]
public sealed class RadosGatewayCollection : ICollectionFixture<RadosGateway>;
