using System.Globalization;
using System.Text;

namespace Quire.Server.Resp;

/// <summary>What INFO and CONFIG GET tell clients about the server.</summary>
internal static class RespServerInfo
{
    /// <summary>The Redis version Quire answers as: clients pick their features by it (7 has HELLO, SET ... GET, EXPIRE's options).</summary>
    public const string RedisVersion = "7.2.0";

    private static readonly long Started = Environment.TickCount64;

    /// <summary>The parameters CONFIG GET answers, for clients that probe them.</summary>
    public static readonly (string Name, string Value)[] Config =
    [
        ("databases", "16"),
        ("appendonly", "yes"),
        ("appendfsync", "always"),
        ("save", ""),
        ("maxmemory", "0"),
        ("timeout", "0"),
        ("slave-read-only", "yes"),
        ("replica-read-only", "yes"),
    ];

    /// <summary>INFO's text: the server, clients, persistence and replication sections (or the one asked for).</summary>
    public static string Render(RespSession session, string? section)
    {
        var text = new StringBuilder();
        var all = section is null || section.Equals("all", StringComparison.OrdinalIgnoreCase) || section.Equals("everything", StringComparison.OrdinalIgnoreCase) || section.Equals("default", StringComparison.OrdinalIgnoreCase);
        void Section(string name, params (string Key, string Value)[] fields)
        {
            if (!all && !name.Equals(section, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            text.Append(CultureInfo.InvariantCulture, $"# {char.ToUpperInvariant(name[0])}{name[1..]}\r\n");
            foreach (var (key, value) in fields)
            {
                text.Append(CultureInfo.InvariantCulture, $"{key}:{value}\r\n");
            }

            text.Append("\r\n");
        }

        Section(
            "server",
            ("redis_version", RedisVersion),
            ("redis_mode", "standalone"),
            ("server_name", "quire"),
            ("os", Environment.OSVersion.ToString()),
            ("process_id", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)),
            ("uptime_in_seconds", ((Environment.TickCount64 - Started) / 1000).ToString(CultureInfo.InvariantCulture)));
        Section("clients", ("connected_clients", RespConnectionHandler.Connected.ToString(CultureInfo.InvariantCulture)));
        Section("persistence", ("aof_enabled", "1"), ("loading", "0"));
        Section("replication", ("role", "master"), ("connected_slaves", "0"));
        Section("keyspace", ($"db_{session.DatabaseName}", "selected"));
        return text.ToString();
    }
}
