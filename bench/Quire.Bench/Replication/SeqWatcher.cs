using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Quire.Bench.Replication;

/// <summary>
/// Watches a server's last seq of a database from a thread of its own, over a blocking
/// keep-alive connection (<c>GET .../status</c> about every millisecond), so what it sees does
/// not wait behind the load generator's tasks: when each seq was first visible.
/// </summary>
internal sealed class SeqWatcher : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly byte[] _request;
    private readonly Stopwatch _clock;
    private readonly Thread _thread;
    private volatile bool _stop;

    public SeqWatcher(int port, string db, Stopwatch clock)
    {
        _clock = clock;
        _request = Encoding.ASCII.GetBytes($"GET /v1/databases/{db}/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        _thread = new Thread(Run) { IsBackground = true, Name = "seq-watcher" };
        _thread.Start();
    }

    /// <summary>(milliseconds on the clock, the seq first seen then), in order.</summary>
    public List<(double Ms, long Seq)> Seen { get; } = [];

    private void Run()
    {
        var buffer = new byte[16 * 1024];
        var last = long.MinValue;
        while (!_stop)
        {
            _socket.Send(_request);
            var received = 0;
            int bodyStart, total = int.MaxValue;
            do
            {
                received += _socket.Receive(buffer.AsSpan(received));
                var text = buffer.AsSpan(0, received);
                var end = text.IndexOf("\r\n\r\n"u8);
                if (end >= 0)
                {
                    bodyStart = end + 4;
                    var headers = Encoding.ASCII.GetString(buffer, 0, end).ToLowerInvariant();
                    var at = headers.IndexOf("content-length:", StringComparison.Ordinal) + "content-length:".Length;
                    var stop = headers.IndexOf('\r', at);
                    total = bodyStart + int.Parse(headers[at..(stop < 0 ? headers.Length : stop)].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    if (received >= total)
                    {
                        var seq = JsonDocument.Parse(buffer.AsMemory(bodyStart, total - bodyStart)).RootElement.TryGetProperty("tip_seq", out var tip) ? tip.GetInt64() : -1;
                        if (seq > last)
                        {
                            Seen.Add((_clock.Elapsed.TotalMilliseconds, seq));
                            last = seq;
                        }
                    }
                }
            }
            while (received < total);

            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
    }
}
