using System.Net;
using System.Net.Sockets;

namespace Quire.Server.Tests.Replication;

/// <summary>
/// A TCP proxy on loopback between a replica and its primary that can cut every connection
/// at once (wherever the stream is: mid-record as often as not) and stall (stop forwarding
/// while keeping connections open).
/// </summary>
internal sealed class FaultyProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private volatile bool _stalled;

    public FaultyProxy(int target)
    {
        _target = target;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections have been cut.</summary>
    public int Cuts { get; private set; }

    /// <summary>Stops forwarding bytes (both ways) until set back.</summary>
    public bool Stalled
    {
        get => _stalled;
        set => _stalled = value;
    }

    /// <summary>Closes every connection through the proxy.</summary>
    public void CutAll()
    {
        lock (_open)
        {
            foreach (var client in _open)
            {
                if (client.Client is { Connected: true } socket)
                {
                    socket.Close(0);
                    Cuts++;
                }
            }

            _open.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }

            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                while (_stalled)
                {
                    await Task.Delay(10, _stop.Token);
                }

                var read = await from.GetStream().ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
            // Cut, or stopping.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        _stop.Dispose();
    }
}
