using System.Globalization;
using Quire.TestSupport;

namespace Quire.Server.Tests.Resp;

/// <summary>A pipelined SET flood killed with SIGKILL: every SET that was answered OK is there after a restart.</summary>
public class RespDurabilityTests
{
    [Fact]
    public async Task Every_acknowledged_pipelined_set_survives_a_sigkill()
    {
        using var data = new TempDirectory("quire-resp-kill");
        var port = ServerProcess.FreePort();
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var acknowledged = new List<string>();
        using (var server = new ServerProcess(null, data, "--resp2-port", portText))
        {
            // Four connections, each sending pipelines of 100 SETs and reading the replies, until the kill.
            var killAt = DateTime.UtcNow.AddSeconds(1.5);
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
            {
                var mine = new List<string>();
                try
                {
                    using var redis = new RespClient(port);
                    for (var batch = 0; ; batch++)
                    {
                        var keys = Enumerable.Range(0, 100).Select(i => $"w{w}:{batch}:{i}").ToList();
                        redis.SendRaw([.. keys.SelectMany(k => RespClient.Encode("SET", k, k))]);
                        foreach (var key in keys)
                        {
                            Assert.Equal("OK", redis.Read());
                            mine.Add(key);
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or EndOfStreamException or System.Net.Sockets.SocketException)
                {
                    // The server was killed under the flood.
                }

                return mine;
            })).ToList();
            while (DateTime.UtcNow < killAt)
            {
                await Task.Delay(50);
            }

            server.Kill();
            foreach (var writer in writers)
            {
                acknowledged.AddRange(await writer);
            }
        }

        Assert.True(acknowledged.Count > 1000, $"only {acknowledged.Count} SETs were answered before the kill");
        using var restarted = new ServerProcess(null, data, "--resp2-port", portText);
        using var check = new RespClient(port);
        var missing = acknowledged.Where(key => check.Call("GET", key) != key).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged SETs were lost, first {missing.FirstOrDefault()}");
    }
}
