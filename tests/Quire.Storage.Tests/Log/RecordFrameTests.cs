using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.Log;

namespace Quire.Storage.Tests.Log;

public class RecordFrameTests
{
    [Fact]
    public void Frame_round_trips_and_is_padded_to_eight_bytes()
    {
        var payload = Keys.B("hello");
        var buffer = new byte[64];
        var size = RecordFrame.Write(buffer, segmentId: 7, epoch: 9, firstSeq: 100, opCount: 3, durableSeq: 90, payload);

        Assert.Equal(40, size);
        Assert.True(RecordFrame.TryRead(buffer, 7, 9, out var frame));
        Assert.Equal(new FrameInfo(100, 3, 90, payload.Length, 40, 0), frame);
    }

    [Fact]
    public void Crc_covers_segment_id_and_epoch_so_stale_frames_never_pass()
    {
        var buffer = new byte[64];
        RecordFrame.Write(buffer, segmentId: 7, epoch: 9, firstSeq: 100, opCount: 1, durableSeq: 0, Keys.B("x"));

        Assert.False(RecordFrame.TryRead(buffer, 8, 9, out _));
        Assert.False(RecordFrame.TryRead(buffer, 7, 10, out _));
    }

    [Fact]
    public void Every_flipped_bit_is_detected()
    {
        var buffer = new byte[48];
        var size = RecordFrame.Write(buffer, 1, 1, 5, 1, 0, Keys.B("payload!"));
        for (var bit = 0; bit < size * 8; bit++)
        {
            if (bit / 8 >= 40)
            {
                continue; // padding
            }

            var copy = (byte[])buffer.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(RecordFrame.TryRead(copy, 1, 1, out _), $"flipping bit {bit} went unnoticed");
        }
    }

    [Fact]
    public void Garbage_never_parses_and_never_throws()
    {
        var random = new Random(42);
        var buffer = new byte[256];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            Assert.False(RecordFrame.TryRead(buffer.AsSpan(0, random.Next(buffer.Length)), 1, 1, out _));
        }
    }

    [Fact]
    public void Batch_payload_reader_rejects_garbage_with_a_corruption_error_only()
    {
        var random = new Random(7);
        var buffer = new byte[64];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            try
            {
                var reader = new BatchPayload.Reader(buffer.AsSpan(0, random.Next(buffer.Length)));
                while (reader.MoveNext())
                {
                }
            }
            catch (CorruptDataException)
            {
            }
        }
    }

    [Fact]
    public void Header_of_a_newer_format_is_refused_with_a_clear_error()
    {
        var buffer = new byte[FileHeader.Size];
        new FileHeader(FileKind.LogSegment, FileHeader.CurrentFormatVersion + 1, 8192, Guid.NewGuid(), 1, 0).Write(buffer);

        var error = Assert.Throws<IncompatibleFormatException>(() => FileHeader.TryRead(buffer, FileKind.LogSegment, "x.log"));
        Assert.Contains("format version 2", error.Message);
    }
}
