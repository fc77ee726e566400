using System.Net;
using System.Net.Sockets;

namespace Quire.Bench.Harness;

/// <summary>Servers the suites start on loopback: free ports, and waiting until one answers.</summary>
public static class Loopback
{
    /// <summary>A port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits (10 s at most) until <c>/health</c> answers.</summary>
    public static void WaitForHealth(HttpClient client)
    {
        for (var i = 0; i < 400; i++)
        {
            try
            {
                if (client.GetAsync("/health").GetAwaiter().GetResult().IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                Thread.Sleep(25);
            }
        }

        throw new TimeoutException("the server did not start");
    }

    /// <summary>Waits (10 s at most) until something accepts connections on <paramref name="port"/>.</summary>
    public static void WaitForPort(int port)
    {
        for (var i = 0; i < 400; i++)
        {
            try
            {
                using var probe = new TcpClient("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(25);
            }
        }

        throw new TimeoutException($"nothing listens on port {port}");
    }
}
