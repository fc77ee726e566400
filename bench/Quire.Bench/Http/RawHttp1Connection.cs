using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Quire.Bench.Http;

/// <summary>
/// A lean HTTP/1.1 keep-alive connection for generating load, as wrk or
/// redis-benchmark do: it writes each request as bytes and reads the response to its
/// Content-Length, so the client's share of the shared cores stays small and the
/// figure is the server's. Every response must be 2xx or the request throws. One
/// request at a time per connection.
/// </summary>
public sealed class RawHttp1Connection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] ContentLength = "content-length:"u8.ToArray();

    private readonly Socket _socket;
    private readonly string _host;
    private byte[] _send = new byte[4096];
    private byte[] _receive = new byte[16 * 1024];
    private int _bodyStart;
    private int _bodyLength;

    private RawHttp1Connection(Socket socket, int port)
    {
        _socket = socket;
        _host = $"127.0.0.1:{port}";
    }

    /// <summary>Opens a connection to the server on the loopback <paramref name="port"/>.</summary>
    public static async Task<RawHttp1Connection> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawHttp1Connection(socket, port);
    }

    /// <summary>POSTs <paramref name="json"/> to <paramref name="path"/> and returns the response body's length.</summary>
    public async ValueTask<int> PostAsync(string path, string json)
    {
        var bodyLength = Encoding.UTF8.GetByteCount(json);
        var head = $"POST {path} HTTP/1.1\r\nHost: {_host}\r\nContent-Type: application/json\r\nContent-Length: {bodyLength}\r\n\r\n";
        var length = Encoding.ASCII.GetByteCount(head) + bodyLength;
        if (_send.Length < length)
        {
            _send = new byte[Math.Max(length, _send.Length * 2)];
        }

        var written = Encoding.ASCII.GetBytes(head, _send);
        Encoding.UTF8.GetBytes(json, _send.AsSpan(written));
        for (var sent = 0; sent < length;)
        {
            sent += await _socket.SendAsync(_send.AsMemory(sent, length - sent));
        }

        return await ReadResponseAsync(path);
    }

    private async ValueTask<int> ReadResponseAsync(string path)
    {
        var received = 0;
        var headerEnd = -1;
        var total = int.MaxValue;
        while (received < total)
        {
            if (received == _receive.Length)
            {
                Array.Resize(ref _receive, _receive.Length * 2);
            }

            var n = await _socket.ReceiveAsync(_receive.AsMemory(received));
            if (n == 0)
            {
                throw new IOException($"{path}: the server closed the connection mid-response");
            }

            received += n;
            if (headerEnd < 0)
            {
                var end = _receive.AsSpan(0, received).IndexOf(HeaderEnd);
                if (end >= 0)
                {
                    headerEnd = end + HeaderEnd.Length;
                    total = headerEnd + ContentLengthOf(_receive.AsSpan(0, end), path);
                    if (total > _receive.Length)
                    {
                        Array.Resize(ref _receive, total);
                    }
                }
            }
        }

        // Status line: "HTTP/1.1 200 OK".
        if (received < 12 || _receive[9] != (byte)'2')
        {
            var text = Encoding.UTF8.GetString(_receive, 0, received);
            throw new InvalidOperationException($"{path}: {text}");
        }

        (_bodyStart, _bodyLength) = (headerEnd, total - headerEnd);
        return total - headerEnd;
    }

    /// <summary>The last response's body (valid until the next request).</summary>
    public ReadOnlySpan<byte> LastBody => _receive.AsSpan(_bodyStart, _bodyLength);

    private static int ContentLengthOf(ReadOnlySpan<byte> headers, string path)
    {
        Span<byte> lower = headers.Length <= 1024 ? stackalloc byte[headers.Length] : new byte[headers.Length];
        for (var i = 0; i < headers.Length; i++)
        {
            lower[i] = headers[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(headers[i] | 0x20) : headers[i];
        }

        var at = lower.IndexOf(ContentLength);
        if (at < 0)
        {
            throw new InvalidOperationException($"{path}: a response without Content-Length");
        }

        var value = lower[(at + ContentLength.Length)..];
        var stop = value.IndexOf((byte)'\r');
        var digits = Encoding.ASCII.GetString(stop < 0 ? value : value[..stop]).Trim();
        return int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _socket.Dispose();
}
