using System.Diagnostics;
using System.Net.Sockets;

namespace Quire.Server.Tests.Resp;

/// <summary>
/// A real redis-server (Debian's, installed when missing) on a free loopback port, without
/// persistence: the reference the differential test compares Quire's replies with. Stopped on dispose.
/// </summary>
internal sealed class RedisServerProcess : IDisposable
{
    private readonly Process _process;

    public RedisServerProcess()
    {
        Port = ServerProcess.FreePort();
        var start = new ProcessStartInfo(RedisTools.Server) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    public int Port { get; }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
