namespace Quire.Server.Resp;

/// <summary>One reply, built by a command and written once the replies before it are out.</summary>
internal readonly struct RespReply
{
    private RespReply(RespReplyKind kind, long integer = 0, byte[]? bytes = null, string? text = null, RespReply[]? items = null)
    {
        Kind = kind;
        Integer = integer;
        Bytes = bytes;
        Text = text;
        Items = items;
    }

    public RespReplyKind Kind { get; }

    public long Integer { get; }

    public byte[]? Bytes { get; }

    public string? Text { get; }

    public RespReply[]? Items { get; }

    public static readonly RespReply Ok = new(RespReplyKind.Simple, text: "OK");

    public static readonly RespReply Null = new(RespReplyKind.Null);

    public static readonly RespReply NullArray = new(RespReplyKind.NullArray);

    public static RespReply Simple(string text) => new(RespReplyKind.Simple, text: text);

    public static RespReply Error(string message) => new(RespReplyKind.Error, text: message);

    public static RespReply Number(long value) => new(RespReplyKind.Integer, integer: value);

    public static RespReply Bulk(byte[]? value) => value is null ? Null : new(RespReplyKind.Bulk, bytes: value);

    public static RespReply Bulk(string value) => new(RespReplyKind.Bulk, bytes: System.Text.Encoding.UTF8.GetBytes(value));

    public static RespReply Array(RespReply[] items) => new(RespReplyKind.Array, items: items);

    /// <summary>A map: <paramref name="items"/> holds key, value, key, value, ...</summary>
    public static RespReply Map(RespReply[] items) => new(RespReplyKind.Map, items: items);

    public static RespReply Set(RespReply[] items) => new(RespReplyKind.Set, items: items);

    /// <summary>An out-of-band message (pub/sub): a push in RESP3, an array in RESP2.</summary>
    public static RespReply Push(RespReply[] items) => new(RespReplyKind.Push, items: items);

    /// <summary>Several replies to one command, written one after another (SUBSCRIBE a b: one per channel).</summary>
    public static RespReply Sequence(RespReply[] items) => new(RespReplyKind.Sequence, items: items);

    public static RespReply Boolean(bool value) => new(RespReplyKind.Boolean, integer: value ? 1 : 0);

    /// <summary>The error of a command with the wrong number of arguments, as Redis words it.</summary>
    public static RespReply Arity(string command) => Error($"ERR wrong number of arguments for '{command.ToLowerInvariant()}' command");

    public static readonly RespReply Syntax = Error("ERR syntax error");

    public static readonly RespReply NotInteger = Error("ERR value is not an integer or out of range");

    public static readonly RespReply WrongType = Error("WRONGTYPE Operation against a key holding the wrong kind of value");

    public void WriteTo(RespWriter writer)
    {
        switch (Kind)
        {
            case RespReplyKind.Simple:
                writer.Simple(Text!);
                break;
            case RespReplyKind.Error:
                writer.Error(Text!);
                break;
            case RespReplyKind.Integer:
                writer.Integer(Integer);
                break;
            case RespReplyKind.Bulk:
                writer.Bulk(Bytes!);
                break;
            case RespReplyKind.Null:
                writer.Null();
                break;
            case RespReplyKind.NullArray:
                writer.NullArray();
                break;
            case RespReplyKind.Boolean:
                writer.Boolean(Integer != 0);
                break;
            case RespReplyKind.Array:
                writer.Array(Items!.Length);
                WriteItems(writer);
                break;
            case RespReplyKind.Map:
                writer.Map(Items!.Length / 2);
                WriteItems(writer);
                break;
            case RespReplyKind.Set:
                writer.Set(Items!.Length);
                WriteItems(writer);
                break;
            case RespReplyKind.Push:
                writer.Push(Items!.Length);
                WriteItems(writer);
                break;
            case RespReplyKind.Sequence:
                WriteItems(writer);
                break;
        }
    }

    private void WriteItems(RespWriter writer)
    {
        foreach (var item in Items!)
        {
            item.WriteTo(writer);
        }
    }
}

/// <summary>The shapes of <see cref="RespReply"/>.</summary>
internal enum RespReplyKind
{
    Simple,
    Error,
    Integer,
    Bulk,
    Null,
    NullArray,
    Boolean,
    Array,
    Map,
    Set,
    Push,
    Sequence,
}
