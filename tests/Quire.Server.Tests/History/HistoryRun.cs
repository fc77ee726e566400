using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Quire.TestSupport;

namespace Quire.Server.Tests.History;

/// <summary>
/// Records a history Jepsen-style: concurrent clients read, write and compare-and-set a few
/// keys of one database through the HTTP API while the server is killed (SIGKILL) and
/// restarted between rounds. Clients pause at a gate while the server is down (one that
/// slips through finds the port closed, and its request is dropped), so an
/// operation cut off by a kill completes (unknown) when the next server is ready: no effect
/// of the killed process can land later. The choices of keys, kinds and round lengths come
/// from the seed; the timing is the machine's.
/// </summary>
internal sealed class HistoryRun(int seed, int clients, int keys, TimeSpan minRound, TimeSpan maxRound)
{
    private const string Database = "h";
    private readonly List<HistoryOp> _ops = [];
    private readonly List<long> _readyTimes = [];
    private volatile TaskCompletionSource _gate = Opened();
    private volatile bool _stopping;
    private int _port;

    /// <summary>Every operation recorded, with unknown ones given their completion.</summary>
    public IReadOnlyList<HistoryOp> Ops => _ops;

    /// <summary>The reads of every key after the last restart, once all clients stopped.</summary>
    public List<HistoryOp> FinalReads { get; } = [];

    public static string Key(int i) => $"k{i}";

    /// <summary>Runs <paramref name="rounds"/> rounds of load, each ended by a kill and a restart, then reads every key.</summary>
    public async Task RunAsync(int rounds)
    {
        using var data = new TempDirectory("quire-history");
        _port = ServerProcess.FreePort();
        var server = new ServerProcess(_port, null, data);
        try
        {
            _readyTimes.Add(Stopwatch.GetTimestamp());
            using var admin = Client();
            (await admin.PostAsync("/v1/databases", Json($$"""{"name": "{{Database}}"}"""))).EnsureSuccessStatusCode();
            for (var k = 0; k < keys; k++)
            {
                var first = Begin(-1, Key(k), OpKind.Write, $"init-{k}", null);
                await WriteAsync(admin, first, ifSeq: null);
                Assert.Equal(Outcome.Ok, first.Outcome);
            }

            var random = new Random(seed);
            var workers = Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, new Random(seed * 1000 + c)))).ToList();
            for (var round = 0; round < rounds; round++)
            {
                await Task.Delay(minRound + (maxRound - minRound) * random.NextDouble());
                server.Kill();   // while clients are mid-request: those are cut off
                _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                server.Dispose();
                server = new ServerProcess(_port, null, data);
                lock (_readyTimes)
                {
                    _readyTimes.Add(Stopwatch.GetTimestamp());
                }

                _gate.SetResult();
            }

            _stopping = true;
            await Task.WhenAll(workers);
            using var reader = Client();
            for (var k = 0; k < keys; k++)
            {
                var (read, _) = await ReadAsync(reader, -1, Key(k));
                Assert.Equal(Outcome.Ok, read.Outcome);
                FinalReads.Add(read);
            }
        }
        finally
        {
            server.Dispose();
        }

        // An operation cut off completes when the next server was ready (or, after the last, at the end).
        foreach (var op in _ops.Where(op => op.Outcome == Outcome.Unknown))
        {
            op.Complete = _readyTimes.FirstOrDefault(ready => ready > op.Invoke, long.MaxValue - 1);
        }

        _ops.RemoveAll(op => op.Kind == OpKind.Read && op.Outcome == Outcome.Unknown);   // a read that was not answered says nothing
    }

    private async Task ClientAsync(int client, Random random)
    {
        using var http = Client();
        var lastRead = new Dictionary<string, (string? Value, long Seq)>();
        for (var n = 0; !_stopping; n++)
        {
            await _gate.Task;
            var key = Key(random.Next(keys));
            var choice = random.Next(10);
            if (choice < 4 || (choice >= 7 && !lastRead.ContainsKey(key)))
            {
                var (read, seq) = await ReadAsync(http, client, key);
                if (read is { Outcome: Outcome.Ok, Observed: not null })
                {
                    lastRead[key] = (read.Observed, seq);
                }
            }
            else if (choice < 7)
            {
                await WriteAsync(http, Begin(client, key, OpKind.Write, $"c{client}-{n}", null), ifSeq: null);
            }
            else
            {
                var (expected, seq) = lastRead[key];
                lastRead.Remove(key);   // a version is tried once; the next compare-and-set reads again
                await WriteAsync(http, Begin(client, key, OpKind.CompareAndSet, $"c{client}-{n}", expected), ifSeq: seq);
            }
        }
    }

    /// <summary>Reads a key: the operation, and the version (<c>_seq</c>) of what it saw.</summary>
    private async Task<(HistoryOp Op, long Seq)> ReadAsync(HttpClient http, int client, string key)
    {
        var op = Begin(client, key, OpKind.Read, null, null);
        var seq = -1L;
        try
        {
            using var response = await http.GetAsync($"/v1/databases/{Database}/docs/c/{key}");
            var text = await response.Content.ReadAsStringAsync();
            var now = Stopwatch.GetTimestamp();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var doc = JsonDocument.Parse(text);
                op.Observed = doc.RootElement.GetProperty("v").GetString();
                seq = doc.RootElement.GetProperty("_seq").GetInt64();
                End(op, Outcome.Ok, now);
            }
            else if (response.StatusCode == HttpStatusCode.NotFound && text.Contains("document not found", StringComparison.Ordinal))
            {
                op.Observed = null;
                End(op, Outcome.Ok, now);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            Forget(op, ex);
        }

        return (op, seq);
    }

    private async Task WriteAsync(HttpClient http, HistoryOp op, long? ifSeq)
    {
        var body = ifSeq is { } seq
            ? $$$"""{"coll": "c", "id": "{{{op.Key}}}", "doc": {"v": "{{{op.Value}}}"}, "if_seq": {{{seq}}}}"""
            : $$$"""{"coll": "c", "id": "{{{op.Key}}}", "doc": {"v": "{{{op.Value}}}"}}""";
        try
        {
            using var response = await http.PostAsync($"/v1/databases/{Database}/put", Json(body));
            await response.Content.ReadAsStringAsync();
            var now = Stopwatch.GetTimestamp();
            switch ((int)response.StatusCode)
            {
                case 200:
                    End(op, Outcome.Ok, now);
                    break;
                case 409 when op.Kind == OpKind.CompareAndSet:
                    End(op, Outcome.Failed, now);
                    break;
                case >= 400 and < 500:
                    Drop(op);   // refused before it was queued: it did nothing
                    break;
                default:
                    break;      // a 5xx may or may not have been written: unknown
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            Forget(op, ex);
        }
    }

    private HistoryOp Begin(int client, string key, OpKind kind, string? value, string? expected)
    {
        var op = new HistoryOp(client, key, kind, value, expected, Stopwatch.GetTimestamp());
        lock (_ops)
        {
            _ops.Add(op);
        }

        return op;
    }

    private static void End(HistoryOp op, Outcome outcome, long now) => (op.Outcome, op.Complete) = (outcome, now);

    /// <summary>A request that failed: never sent when the connection was refused (dropped), otherwise unknown.</summary>
    private void Forget(HistoryOp op, Exception ex)
    {
        if (ex is HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } })
        {
            Drop(op);
        }
    }

    private void Drop(HistoryOp op)
    {
        lock (_ops)
        {
            _ops.Remove(op);
        }
    }

    private HttpClient Client() => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{_port}"),
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static TaskCompletionSource Opened()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
