using System.Net.Sockets;
using System.Text;

namespace Quire.Server.Tests.Resp;

/// <summary>
/// A bare RESP client for tests: sends commands as arrays of bulk strings (any bytes), and
/// reads each reply as text: <c>OK</c> for a simple string, <c>-ERR ...</c> for an error,
/// <c>:5</c> for an integer, the bytes of a bulk string (as UTF-8, or <see cref="ReadRaw"/>
/// for bytes), <c>(nil)</c> for null, and <c>[a, b]</c> / <c>{k: v}</c> / <c>~[a]</c> /
/// <c>#t</c> for RESP3's aggregates and booleans.
/// </summary>
internal sealed class RespClient : IDisposable
{
    private readonly TcpClient _tcp = new();
    private readonly BufferedStream _stream;

    public RespClient(int port)
    {
        _tcp.Connect("127.0.0.1", port);
        _tcp.ReceiveTimeout = 30_000;
        _stream = new BufferedStream(_tcp.GetStream());
    }

    public static byte[] Encode(params object[] args)
    {
        var bytes = new List<byte>(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            var value = arg as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(arg, System.Globalization.CultureInfo.InvariantCulture)!);
            bytes.AddRange(Encoding.ASCII.GetBytes($"${value.Length}\r\n"));
            bytes.AddRange(value);
            bytes.AddRange("\r\n"u8.ToArray());
        }

        return [.. bytes];
    }

    public void SendRaw(byte[] bytes)
    {
        _stream.Write(bytes);
        _stream.Flush();
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public string Call(params object[] args)
    {
        SendRaw(Encode(args));
        return Read();
    }

    /// <summary>Sends one command and reads its reply's raw bytes (a bulk string), or null.</summary>
    public byte[]? CallRaw(params object[] args)
    {
        SendRaw(Encode(args));
        return ReadRaw();
    }

    public string Read()
    {
        var line = ReadLine();
        var rest = line[1..];
        switch (line[0])
        {
            case '+':
                return rest;
            case '-':
                return "-" + rest;
            case ':':
                return ":" + rest;
            case '#':
                return "#" + rest;
            case '_':
                return "(nil)";
            case '$':
                var bytes = ReadBulk(int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture));
                return bytes is null ? "(nil)" : Encoding.UTF8.GetString(bytes);
            case '*' or '~' or '>':
                var count = int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return "(nil)";
                }

                var items = Enumerable.Range(0, count).Select(_ => Read()).ToList();
                return (line[0] == '~' ? "~" : line[0] == '>' ? ">" : "") + "[" + string.Join(", ", items) + "]";
            case '%':
                var pairs = int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
                return "{" + string.Join(", ", Enumerable.Range(0, pairs).Select(_ => Read() + ": " + Read())) + "}";
            default:
                throw new InvalidDataException($"unexpected reply line '{line}'");
        }
    }

    public byte[]? ReadRaw()
    {
        var line = ReadLine();
        return line[0] switch
        {
            '$' => ReadBulk(int.Parse(line[1..], System.Globalization.CultureInfo.InvariantCulture)),
            '_' => null,
            _ => throw new InvalidDataException($"expected a bulk string, got '{line}'"),
        };
    }

    private byte[]? ReadBulk(int length)
    {
        if (length < 0)
        {
            return null;
        }

        var bytes = new byte[length + 2];
        _stream.ReadExactly(bytes);
        return bytes[..length];
    }

    private string ReadLine()
    {
        var line = new List<byte>();
        while (true)
        {
            var b = _stream.ReadByte();
            if (b < 0)
            {
                throw new EndOfStreamException("the server closed the connection");
            }

            if (b == '\n' && line.Count > 0 && line[^1] == '\r')
            {
                return Encoding.UTF8.GetString([.. line[..^1]]);
            }

            line.Add((byte)b);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
