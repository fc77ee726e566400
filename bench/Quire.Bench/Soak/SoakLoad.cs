using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Quire.Bench.Soak;

/// <summary>
/// The soak's clients: writers putting documents over a fixed id space, batchers, and
/// queriers, each in a closed loop through the HTTP API; latencies and errors are counted
/// per minute. A request that fails while the server is down for a kill (a refused or
/// broken connection, in the window the suite opens) is expected; any other failure or a
/// 5xx is not.
/// </summary>
internal sealed class SoakLoad(Func<HttpClient> client, int ids)
{
    private readonly Lock _gate = new();
    private List<double> _putMs = [];
    private List<double> _queryMs = [];
    private long _puts;
    private long _batches;
    private long _queries;
    private long _unexpected;
    private long _aroundKills;
    private volatile bool _killing;
    private volatile bool _stop;
    private readonly string _text = new('t', 200);

    /// <summary>Set while a kill and restart are under way: failures then are expected.</summary>
    public bool Killing { set => _killing = value; }

    public List<Task> Start(int writers, int batchers, int queriers) =>
    [
        .. Enumerable.Range(0, writers).Select(i => Task.Run(() => WriterAsync(new Random(i)))),
        .. Enumerable.Range(0, batchers).Select(i => Task.Run(() => BatcherAsync(new Random(100 + i)))),
        .. Enumerable.Range(0, queriers).Select(i => Task.Run(() => QuerierAsync(new Random(200 + i)))),
    ];

    public void Stop() => _stop = true;

    /// <summary>The minute's figures so far, and a fresh minute started.</summary>
    public (long Puts, long Batches, long Queries, double PutP50, double PutP99, double QueryP99, long Unexpected, long AroundKills) TakeMinute()
    {
        lock (_gate)
        {
            var (puts, queries) = (_putMs, _queryMs);
            (_putMs, _queryMs) = ([], []);
            var result = (Interlocked.Exchange(ref _puts, 0), Interlocked.Exchange(ref _batches, 0), Interlocked.Exchange(ref _queries, 0),
                Percentile(puts, 0.5), Percentile(puts, 0.99), Percentile(queries, 0.99), Interlocked.Exchange(ref _unexpected, 0), Interlocked.Exchange(ref _aroundKills, 0));
            return result;
        }
    }

    private async Task WriterAsync(Random random)
    {
        using var http = client();
        while (!_stop)
        {
            var id = random.Next(ids);
            var body = $$$"""{"coll": "c", "id": "d{{{id}}}", "doc": {"n": {{{random.Next(1_000_000)}}}, "s": "v{{{id % 50}}}", "text": "{{{_text}}}"}}""";
            await SendAsync(http, "/v1/databases/soak/put", body, ref _puts, _putMs);
        }
    }

    private async Task BatcherAsync(Random random)
    {
        using var http = client();
        while (!_stop)
        {
            var ops = string.Join(",", Enumerable.Range(0, 20).Select(_ => random.Next(ids)).Distinct()
                .Select(id => $$$"""{"op": "put", "coll": "c", "id": "d{{{id}}}", "doc": {"n": {{{random.Next(1_000_000)}}}, "s": "v{{{id % 50}}}"}}"""));
            await SendAsync(http, "/v1/databases/soak/batch", $$"""{"ops": [{{ops}}]}""", ref _batches, null);
        }
    }

    private async Task QuerierAsync(Random random)
    {
        using var http = client();
        while (!_stop)
        {
            var nql = random.Next(3) switch
            {
                0 => $"FROM c WHERE n > {random.Next(1_000_000)} ORDER BY n LIMIT 20",
                1 => $"FROM c WHERE s = v{random.Next(50)} LIMIT 50",
                _ => "FROM c GROUP BY s COUNT",
            };
            await SendAsync(http, "/v1/databases/soak/query", $$"""{"nql": "{{nql}}"}""", ref _queries, _queryMs);
        }
    }

    private Task SendAsync(HttpClient http, string path, string body, ref long counter, List<double>? latencies)
    {
        Interlocked.Increment(ref counter);
        return SendAsync(http, path, body, latencies);
    }

    private async Task SendAsync(HttpClient http, string path, string body, List<double>? latencies)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                if (latencies is not null)
                {
                    lock (_gate)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }

                return;
            }

            // A 404 or 5xx while a restarted server is still opening its databases is part of the kill.
            CountFailure(expected: _killing && (int)response.StatusCode is 404 or >= 500);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or TaskCanceledException)
        {
            CountFailure(expected: _killing);
            await Task.Delay(20);   // the server is down: do not spin
        }
    }

    private void CountFailure(bool expected)
    {
        if (expected)
        {
            Interlocked.Increment(ref _aroundKills);
        }
        else
        {
            Interlocked.Increment(ref _unexpected);
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        return values[Math.Min(values.Count - 1, (int)(p * values.Count))];
    }
}
