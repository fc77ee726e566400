using System.Globalization;

namespace Quire.Server.Tests.Resp;

/// <summary>Starting a server with its Redis port on.</summary>
internal static class RespServers
{
    /// <summary>A server (its own data directory, no token) serving Redis on <paramref name="port"/>.</summary>
    public static ServerProcess Start(out int port)
    {
        port = ServerProcess.FreePort();
        return new ServerProcess(null, null, "--resp2-port", port.ToString(CultureInfo.InvariantCulture));
    }
}
