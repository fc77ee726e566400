using System.Buffers;
using System.Text;
using Quire.Server.Resp;

namespace Quire.Server.Tests.Resp;

/// <summary>
/// The RESP command parser: any command, split at any byte or across buffer segments,
/// reads the same; bad lengths and nested aggregates are protocol errors; a huge bulk
/// length is refused, or waited for, before anything is allocated for it.
/// </summary>
public class RespParserTests
{
    private const long MaxBulk = 1 << 20;

    private static byte[] Encode(byte[][] args)
    {
        var bytes = new List<byte>(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
            bytes.AddRange(arg);
            bytes.AddRange("\r\n"u8.ToArray());
        }

        return [.. bytes];
    }

    private static byte[][] RandomCommand(Random random) =>
        [.. Enumerable.Range(0, random.Next(1, 6)).Select(_ =>
        {
            var arg = new byte[random.Next(4) == 0 ? random.Next(0, 300) : random.Next(0, 12)];
            random.NextBytes(arg);
            return arg;
        })];

    /// <summary>Parses every whole command in <paramref name="buffer"/>; returns them and how many bytes they took.</summary>
    private static (List<byte[][]> Commands, long Consumed) ReadAll(ReadOnlySequence<byte> buffer)
    {
        var commands = new List<byte[][]>();
        var start = buffer.Length;
        while (true)
        {
            var parse = RespParser.TryRead(buffer, MaxBulk, out var args, out var consumed, out var error);
            Assert.NotEqual(RespParse.Invalid, parse);
            Assert.Null(error);
            if (parse == RespParse.Incomplete)
            {
                return (commands, start - buffer.Length);
            }

            commands.Add(args);
            buffer = buffer.Slice(consumed);
        }
    }

    [Fact]
    public void Commands_split_at_every_byte_read_the_same()
    {
        var random = new Random(7);
        for (var round = 0; round < 40; round++)
        {
            var commands = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomCommand(random)).ToList();
            var stream = commands.SelectMany(Encode).ToArray();
            for (var cut = 0; cut <= stream.Length; cut++)
            {
                // What arrived so far gives a prefix of the commands; the rest, appended, the others.
                var (first, used) = ReadAll(new ReadOnlySequence<byte>(stream, 0, cut));
                var (second, _) = ReadAll(new ReadOnlySequence<byte>(stream, (int)used, stream.Length - (int)used));
                var all = first.Concat(second).ToList();
                Assert.Equal(commands.Count, all.Count);
                for (var i = 0; i < commands.Count; i++)
                {
                    Assert.Equal(commands[i], all[i]);
                }
            }
        }
    }

    [Fact]
    public void Mutated_frames_never_throw_and_never_read_past_what_arrived()
    {
        // Valid streams with bytes flipped, dropped or repeated: each parse is a command, a
        // wait for more, or a protocol error, and a command never claims bytes not there.
        var random = new Random(11);
        for (var round = 0; round < 20_000; round++)
        {
            var stream = Enumerable.Range(0, random.Next(1, 3)).SelectMany(_ => Encode(RandomCommand(random))).ToList();
            for (var edits = random.Next(1, 4); edits > 0 && stream.Count > 0; edits--)
            {
                var at = random.Next(stream.Count);
                switch (random.Next(3))
                {
                    case 0:
                        stream[at] = (byte)random.Next(256);
                        break;
                    case 1:
                        stream.RemoveAt(at);
                        break;
                    default:
                        stream.Insert(at, "*$:+-\r\n0123456789"u8[random.Next(17)]);
                        break;
                }
            }

            var buffer = new ReadOnlySequence<byte>([.. stream]);
            while (true)
            {
                var parse = RespParser.TryRead(buffer, MaxBulk, out _, out var consumed, out _);
                if (parse != RespParse.Complete)
                {
                    break;
                }

                var before = buffer.Length;
                buffer = buffer.Slice(consumed);   // throws if past the end
                Assert.True(buffer.Length < before);
            }
        }
    }

    [Fact]
    public void Commands_across_many_buffer_segments_read_the_same()
    {
        var random = new Random(9);
        for (var round = 0; round < 200; round++)
        {
            var commands = Enumerable.Range(0, random.Next(1, 6)).Select(_ => RandomCommand(random)).ToList();
            var stream = commands.SelectMany(Encode).ToArray();
            var (read, consumed) = ReadAll(Segments(stream, random));
            Assert.Equal(stream.Length, consumed);
            Assert.Equal(commands.Count, read.Count);
            for (var i = 0; i < commands.Count; i++)
            {
                Assert.Equal(commands[i], read[i]);
            }
        }
    }

    [Theory]
    [InlineData("*x\r\n", "Protocol error: invalid length")]
    [InlineData("*1\r\n$-5\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$99999999999999999999\r\n", "Protocol error: invalid length")]
    [InlineData("*1\r\n$2000000\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n:1\r\n", "Protocol error: expected '$', got ':'")]
    [InlineData("*1\r\n*1\r\n$1\r\na\r\n", "Protocol error: expected '$', got '*'")]
    [InlineData("*1\r\n$1\r\nabc\r\n", "Protocol error: bulk string not followed by CRLF")]
    [InlineData("*2000000\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("SET \"a\r\n", "Protocol error: unbalanced quotes in request")]
    public void Bad_frames_are_protocol_errors(string frame, string expected)
    {
        var parse = RespParser.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(frame)), MaxBulk, out _, out _, out var error);
        Assert.Equal(RespParse.Invalid, parse);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_huge_bulk_length_allocates_nothing_until_its_bytes_arrive()
    {
        var frame = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$900000\r\nab");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(RespParse.Incomplete, RespParser.TryRead(new ReadOnlySequence<byte>(frame), MaxBulk, out _, out _, out _));
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 200_000, "the parser allocated for a bulk that has not arrived");
        Assert.Equal(RespParse.Incomplete, RespParser.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("*1000000\r\n$1\r\na\r\n")), MaxBulk, out _, out _, out _));
    }

    [Fact]
    public void Inline_commands_split_into_words_with_redis_quoting()
    {
        Assert.Equal(RespParse.Complete, RespParser.TryRead(new ReadOnlySequence<byte>("set k \"a b\\x41\\n\" 'it\\'s'\r\n"u8.ToArray()), MaxBulk, out var args, out _, out _));
        Assert.Equal(["set", "k", "a bA\n", "it's"], args.Select(a => Encoding.ASCII.GetString(a)));
        Assert.Equal(RespParse.Complete, RespParser.TryRead(new ReadOnlySequence<byte>("PING\n"u8.ToArray()), MaxBulk, out args, out _, out _));
        Assert.Equal(["PING"], args.Select(a => Encoding.ASCII.GetString(a)));
        Assert.Equal(RespParse.Incomplete, RespParser.TryRead(new ReadOnlySequence<byte>("PING"u8.ToArray()), MaxBulk, out _, out _, out _));
    }

    /// <summary><paramref name="bytes"/> as a sequence of randomly sized segments.</summary>
    private static ReadOnlySequence<byte> Segments(byte[] bytes, Random random)
    {
        Segment? first = null, last = null;
        for (var at = 0; at < bytes.Length;)
        {
            var length = Math.Min(bytes.Length - at, random.Next(1, 9));
            var segment = new Segment(bytes.AsMemory(at, length), last);
            first ??= segment;
            last = segment;
            at += length;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
