using System.IO.Hashing;
using Quire.Databases;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Replication;

/// <summary>
/// Page packs: a copy of a database, then packs of only the pages that changed at later
/// checkpoints, make the database as of the last pack, and cost the pages written, not the
/// database's size.
/// </summary>
public class PagePackTests
{
    [Fact]
    public async Task A_copy_and_the_packs_after_it_make_the_database_as_of_the_last_pack()
    {
        using var primary = new DocumentsFixture();
        await WriteAsync(primary.Db, 0, 3000, version: 0);
        var seen = new Dictionary<long, UInt128>();   // each page's hash as the receiver has it
        bool Changed(long page, ReadOnlySpan<byte> image)
        {
            var hash = XxHash128.HashToUInt128(image);
            var changed = !seen.TryGetValue(page, out var before) || before != hash;
            seen[page] = hash;
            return changed;
        }

        var baseCopy = new MemoryStream();
        long pages;
        using (var copy = await primary.Db.OpenCopyAsync())
        {
            await copy.WriteToAsync(baseCopy, (page, image) => Changed(page, image));
            pages = seen.Count;
        }

        var packs = new List<byte[]>();
        var seqs = new List<long>();
        foreach (var (from, to) in new[] { (100, 110), (2990, 3020) })
        {
            await WriteAsync(primary.Db, from, to, version: packs.Count + 1);
            await primary.Db.DeleteAsync("users", $"u{from + 1:D5}");
            var pack = new MemoryStream();
            using var copy = await primary.Db.OpenCopyAsync();
            var written = await copy.WritePackAsync(pack, (page, image) => Changed(page, image));
            Assert.InRange(written, 4, pages / 4);   // the pages those changes wrote, not the database
            packs.Add(pack.ToArray());
            seqs.Add(copy.Seq);
        }

        using var replica = new DocumentsFixture(new DatabaseOptions { ReplicaOf = "http://primary:1" });
        await replica.ReplaceFromCopyAsync(new MemoryStream(baseCopy.ToArray()), packs);
        Assert.Equal(seqs[^1], replica.Db.Seq);
        Assert.Equal(primary.Db.ChainHeadAt(seqs[^1]), replica.Db.Head.Head);
        Assert.Equal(primary.Db.Query($"FROM users AS OF {seqs[^1]}").Rows.Select(r => r.ToArray()), replica.Db.Query("FROM users").Rows.Select(r => r.ToArray()));
        Assert.True(replica.Db.Verify().Ok);

        // A damaged pack changes nothing.
        var damaged = packs[1].ToArray();
        damaged[damaged.Length / 2] ^= 1;
        using var other = new DocumentsFixture(new DatabaseOptions { ReplicaOf = "http://primary:1" });
        await Assert.ThrowsAsync<Storage.Format.CorruptDataException>(() => other.ReplaceFromCopyAsync(new MemoryStream(baseCopy.ToArray()), [packs[0], damaged]));
        Assert.Single(Directory.GetDirectories(other.Path));
    }

    private static async Task WriteAsync(Database db, int from, int to, int version)
    {
        for (var start = from; start < to; start += 100)
        {
            await db.BatchAsync([.. Enumerable.Range(start, Math.Min(100, to - start)).Select(i =>
                Quire.Documents.DocumentOp.Put("users", $"u{i:D5}", Json($$"""{"n": {{i}}, "version": {{version}}, "pad": "{{new string('p', 100)}}"}""")))]);
        }
    }
}
