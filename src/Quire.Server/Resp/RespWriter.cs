using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Quire.Server.Resp;

/// <summary>
/// Writes Redis replies into a connection's output, in RESP2 or (after <c>HELLO 3</c>) RESP3:
/// where RESP3 has its own types (null, map, set, double, boolean, push), RESP2 gets the
/// forms Redis itself sends it (<c>$-1</c>, flat arrays, bulk strings, integers).
/// </summary>
internal sealed class RespWriter(IBufferWriter<byte> output)
{
    /// <summary>2 or 3.</summary>
    public int Protocol { get; set; } = 2;

    public void Simple(string text) => Line((byte)'+', text);

    public void Ok() => Write("+OK\r\n"u8);

    /// <summary>An error; <paramref name="message"/> starts with its code (<c>ERR</c>, <c>WRONGTYPE</c>, <c>BUSY</c>, ...).</summary>
    public void Error(string message) => Line((byte)'-', message.Replace('\r', ' ').Replace('\n', ' '));

    public void Integer(long value)
    {
        Write(":"u8);
        Number(value);
        Write("\r\n"u8);
    }

    public void Bulk(ReadOnlySpan<byte> value)
    {
        Write("$"u8);
        Number(value.Length);
        Write("\r\n"u8);
        Write(value);
        Write("\r\n"u8);
    }

    public void Bulk(string value) => Bulk(Encoding.UTF8.GetBytes(value));

    /// <summary>The null reply: <c>_</c> in RESP3, the null bulk string in RESP2.</summary>
    public void Null() => Write(Protocol == 3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>The null array: <c>_</c> in RESP3, <c>*-1</c> in RESP2 (EXEC of a transaction a WATCH aborted).</summary>
    public void NullArray() => Write(Protocol == 3 ? "_\r\n"u8 : "*-1\r\n"u8);

    public void Array(int count) => Header((byte)'*', count);

    /// <summary>A map of <paramref name="pairs"/> pairs: <c>%</c> in RESP3, a flat array of twice the count in RESP2.</summary>
    public void Map(int pairs)
    {
        if (Protocol == 3)
        {
            Header((byte)'%', pairs);
        }
        else
        {
            Header((byte)'*', 2 * pairs);
        }
    }

    /// <summary>A set: <c>~</c> in RESP3, an array in RESP2.</summary>
    public void Set(int count) => Header(Protocol == 3 ? (byte)'~' : (byte)'*', count);

    /// <summary>An out-of-band message (pub/sub): <c>&gt;</c> in RESP3, an array in RESP2.</summary>
    public void Push(int count) => Header(Protocol == 3 ? (byte)'>' : (byte)'*', count);

    public void Boolean(bool value)
    {
        if (Protocol == 3)
        {
            Write(value ? "#t\r\n"u8 : "#f\r\n"u8);
        }
        else
        {
            Integer(value ? 1 : 0);
        }
    }

    private void Header(byte marker, long count)
    {
        Write([marker]);
        Number(count);
        Write("\r\n"u8);
    }

    private void Line(byte marker, string text)
    {
        Write([marker]);
        Write(Encoding.UTF8.GetBytes(text));
        Write("\r\n"u8);
    }

    private void Number(long value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        output.Advance(written);
    }

    private void Write(ReadOnlySpan<byte> bytes) => output.Write(bytes);
}
