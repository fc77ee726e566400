using System.Text;
using Quire.Databases;
using Quire.Files;
using Quire.OpLog;

namespace Quire.Tests.Files;

public class FileTests
{
    /// <summary>nedb's data vector: blake2b-512 of 0..3124 as 4-byte little-endian integers, concatenated (200,000 bytes).</summary>
    private static byte[] NedbVector()
    {
        var data = new byte[3125 * 64];
        Span<byte> input = stackalloc byte[4];
        for (var i = 0; i < 3125; i++)
        {
            BitConverter.TryWriteBytes(input, i);
            Blake2b.Hash(input, data.AsSpan(i * 64, 64));
        }

        return data;
    }

    [Fact]
    public void Chunks_and_roots_are_nedbs_to_the_byte()
    {
        Span<byte> hello = stackalloc byte[32];
        Blake2b.Hash("hello"u8, hello);
        Assert.Equal("324dcf027dd4a30a932c441f365a25e86b173defa4b8e58948253471b81b72cf", Convert.ToHexStringLower(hello));
        Assert.Equal("324dcf027dd4a30a932c441f365a25e86b173defa4b8e58948253471b81b72cf", Convert.ToHexStringLower(MerkleRoot.Of([MerkleRoot.Leaf("hello"u8)])));
        Assert.Equal("04422c9487f442300bf68985ccf6aa95843dffa3c16f4b0003ee06a54bcb9c12", Convert.ToHexStringLower(MerkleRoot.Of([new byte[32], Enumerable.Repeat((byte)0x11, 32).ToArray()])));
        Assert.Equal(new string('0', 64), Convert.ToHexStringLower(MerkleRoot.Of([])));

        var data = NedbVector();
        var chunks = GearChunker.Chunks(data);
        Assert.Equal([4305, 2699, 6802, 5107, 13714, 3839, 27751, 30861, 3842, 2396, 19077, 5644, 17917, 4097, 2502, 4056, 3398, 18386, 2378, 5321, 6376, 6608, 2924], chunks.Select(c => c.Length));
        var root = MerkleRoot.Of(chunks.Select(c => MerkleRoot.Leaf(data.AsSpan(c.Start, c.Length))).ToList());
        Assert.Equal("f8fe100b7fac21a2e6bc992eb8ae070c33fbeb1ce174f4d604e4761fd309fd32", Convert.ToHexStringLower(root));
    }

    [Fact]
    public async Task Versions_are_kept_whole_share_chunks_and_are_recorded_in_the_op_log()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { MaxFileBytes = 300_000 });
        var data = NedbVector();
        var v0 = await f.Db.PutFileAsync("vec.bin", data);
        Assert.Equal((0L, 200_000L, "f8fe100b7fac21a2e6bc992eb8ae070c33fbeb1ce174f4d604e4761fd309fd32"), (v0.Version, v0.Size, v0.Root));
        var edited = data.ToArray();
        edited[100_000] ^= 1;
        var v1 = await f.Db.PutFileAsync("vec.bin", edited);
        Assert.Equal(1, v1.Version);
        Assert.NotEqual(v0.Root, v1.Root);
        Assert.Equal(data, f.Db.GetFile("vec.bin", 0)!.Data);
        Assert.Equal(edited, f.Db.GetFile("vec.bin")!.Data);
        Assert.Equal(0, (await f.Db.PutFileAsync("vec.bin", "cold"u8.ToArray(), tier: "cold")).Version);   // each tier has its own versions
        Assert.Equal(0, (await f.Db.PutFileAsync("empty", [])).Size);
        Assert.Empty(f.Db.GetFile("empty")!.Data!);
        Assert.Null(f.Db.GetFile("vec.bin", 7));
        Assert.Null(f.Db.GetFile("nope"));

        var log = f.Db.ReadLog(10);
        Assert.Equal("put_file", log[0].Op);
        Assert.Equal("""{"name":"empty","root":"0000000000000000000000000000000000000000000000000000000000000000","size":0,"tier":"warm","version":0}""", log[0].Payload.GetRawText());
        Assert.True(f.Db.Verify().Ok);

        var seq = f.Db.Seq;
        await Assert.ThrowsAsync<FileTooLargeException>(() => f.Db.PutFileAsync("big", new byte[300_001]));
        await Assert.ThrowsAsync<Quire.Documents.InvalidNameException>(() => f.Db.PutFileAsync("x", [1], tier: "hot"));
        await Assert.ThrowsAsync<Quire.Documents.InvalidNameException>(() => f.Db.PutFileAsync("", [1]));
        Assert.Equal(seq, f.Db.Seq);
        f.Reopen();
        Assert.Equal(edited, f.Db.GetFile("vec.bin")!.Data);
        Assert.Equal(Encoding.UTF8.GetBytes("cold"), f.Db.GetFile("vec.bin", tier: "cold")!.Data);
    }
}
