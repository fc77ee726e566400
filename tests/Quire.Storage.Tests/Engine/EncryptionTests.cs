using System.Text;
using Quire.Storage.Crypto;
using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.IO;
using Quire.Storage.Log;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

public class EncryptionTests
{
    private const string Secret = "SECRET-DOCUMENT-TEXT";
    private static readonly MasterKey Key = MasterKey.FromHex(new string('a', 64));
    private static readonly MasterKey OtherKey = MasterKey.FromHex(new string('b', 64));
    private static readonly string Segment = "/db/wal/" + "0".PadLeft(20, '0') + ".log";

    [Fact]
    public async Task An_encrypted_database_reads_back_after_a_checkpoint_and_a_replay_and_holds_no_plaintext()
    {
        var fs = new FaultyFileSystem();
        var big = Secret + new string('x', 40_000); // an overflow value: its own pages
        using (var engine = Open(fs, Key))
        {
            Assert.True(engine.IsEncrypted);
            for (var i = 0; i < 300; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"key{i:D4}"), B($"{Secret} {i}")));
            }

            await engine.CommitAsync(new WriteBatch().Put(B("big"), B(big)));
            await engine.CheckpointAsync();
            await engine.CommitAsync(new WriteBatch().Put(B("after"), B(Secret + " after the checkpoint")));
        }

        Assert.False(Contains(fs, "/db/quire.db", Secret));
        foreach (var segment in fs.ListFiles("/db/wal"))
        {
            Assert.False(Contains(fs, "/db/wal/" + segment, Secret));
        }

        using (var engine = Open(fs, Key))
        {
            Assert.True(engine.IsEncrypted);
            Assert.Equal($"{Secret} 7", S(engine.Get(B("key0007"))));
            Assert.Equal(big, S(engine.Get(B("big"))));
            Assert.Equal(Secret + " after the checkpoint", S(engine.Get(B("after"))));
            Assert.Equal(302, engine.Scan().Count);
        }

        Assert.True(DatabaseKeys.IsEncrypted(EngineFixture.Directory, fs));
    }

    [Fact]
    public async Task After_a_crash_sealed_records_replay_and_a_torn_one_is_cut()
    {
        var fs = new FaultyFileSystem();
        using (var engine = Open(fs, Key))
        {
            for (var i = 0; i < 50; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), B($"{Secret} {i}")));
            }

            fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "/wal/", KeepBytes = 40, CrashMachine = true });
            await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("torn"), B(Secret))));
        }

        fs.UnsyncedSectorSurvival = 1.0;
        fs.PowerLoss();
        using var reopened = Open(fs, Key);
        Assert.True(reopened.Recovery.TornTail is not null);
        Assert.Equal($"{Secret} 49", S(reopened.Get(B("k49"))));
        Assert.Null(reopened.Get(B("torn")));
        await reopened.CommitAsync(new WriteBatch().Put(B("next"), B("v")));
        Assert.Equal(51, reopened.Scan().Count);
    }

    [Fact]
    public async Task Without_the_master_key_or_with_another_the_open_says_so_and_changes_nothing()
    {
        var fs = new FaultyFileSystem();
        using (var engine = Open(fs, Key))
        {
            await engine.CommitAsync(new WriteBatch().Put(B("k"), B(Secret)));
        }

        var before = Snapshot(fs);
        var missing = Assert.Throws<EncryptionKeyException>(() => Open(fs, master: null));
        Assert.Contains("NEDB_TMK", missing.Message);
        var wrong = Assert.Throws<EncryptionKeyException>(() => Open(fs, OtherKey));
        Assert.Contains("another master key", wrong.Message);
        Assert.Equal(before, Snapshot(fs));

        using var reopened = Open(fs, Key);
        Assert.Equal(Secret, S(reopened.Get(B("k"))));
    }

    [Fact]
    public async Task A_flipped_bit_in_a_sealed_page_is_corruption_never_a_value()
    {
        var fs = new FaultyFileSystem();
        using (var engine = Open(fs, Key))
        {
            for (var i = 0; i < 2000; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"key{i:D5}"), B($"{Secret} {i}")));
            }

            await engine.CheckpointAsync();
        }

        // One bit in every page past the superblocks: whatever the open or a full read meets is damaged.
        var pages = Length(fs, "/db/quire.db") / 8192;
        Assert.True(pages > DataFile.FirstDataPage + 2);
        for (var page = DataFile.FirstDataPage; page < pages; page++)
        {
            fs.FlipBit("/db/quire.db", (page * 8192) + 4000, 2);
        }

        var error = Record.Exception(() =>
        {
            using var engine = Open(fs, Key);
            _ = engine.Scan();
        });
        Assert.IsType<CorruptDataException>(error);
        Assert.Contains("fails its checksum", error.Message);
    }

    [Fact]
    public async Task A_sealed_log_record_whose_frame_checksum_was_forged_fails_its_tag()
    {
        var fs = new FaultyFileSystem();
        using (var engine = Open(fs, Key))
        {
            await engine.CommitAsync(new WriteBatch().Put(B("k"), B(Secret)));
        }

        // Change a sealed payload byte and recompute the frame's CRC, as someone with the
        // files could: only the authentication tag stops it.
        var frame = new byte[4096];
        Read(fs, Segment, FileHeader.Size, frame);
        var epoch = Identity(fs).Epoch;
        Assert.True(RecordFrame.TryRead(frame, 0, epoch, out var info));
        frame[RecordFrame.HeaderSize + 3] ^= 0x10;
        RecordFrame.SetChecksum(frame.AsSpan(0, info.FramedSize), 0, epoch);
        Assert.True(RecordFrame.TryRead(frame, 0, epoch, out _));
        fs.Poke(Segment, FileHeader.Size, frame.AsSpan(0, info.FramedSize));

        // The record is older than the checkpoint written at close, so the open does not
        // replay it; reading the log (as replication does) opens it.
        using var engine2 = Open(fs, Key);
        var error = Assert.Throws<CorruptDataException>(() => engine2.ReadLog(0).ToList());
        Assert.Contains("authentication tag", error.Message);
    }

    [Fact]
    public async Task Rewrap_moves_the_database_to_a_new_master_key_without_rewriting_data()
    {
        var fs = new FaultyFileSystem();
        using (var engine = Open(fs, Key))
        {
            await engine.CommitAsync(new WriteBatch().Put(B("k"), B(Secret)));
        }

        var data = Bytes(fs, "/db/quire.db");
        Assert.Throws<EncryptionKeyException>(() => DatabaseKeys.Rewrap(EngineFixture.Directory, OtherKey, Key, fs));
        DatabaseKeys.Rewrap(EngineFixture.Directory, Key, OtherKey, fs);

        Assert.Equal(data, Bytes(fs, "/db/quire.db"));
        Assert.Throws<EncryptionKeyException>(() => Open(fs, Key));
        using var engine2 = Open(fs, OtherKey);
        Assert.Equal(Secret, S(engine2.Get(B("k"))));
    }

    [Fact]
    public async Task A_plaintext_database_opened_with_a_key_stays_plaintext_and_rewrap_refuses_it()
    {
        var fs = new FaultyFileSystem();
        using (var engine = Open(fs, master: null))
        {
            await engine.CommitAsync(new WriteBatch().Put(B("k"), B(Secret)));
        }

        using (var engine = Open(fs, Key))
        {
            Assert.False(engine.IsEncrypted);
            Assert.Equal(Secret, S(engine.Get(B("k"))));
        }

        Assert.False(DatabaseKeys.IsEncrypted(EngineFixture.Directory, fs));
        Assert.Throws<InvalidOperationException>(() => DatabaseKeys.Rewrap(EngineFixture.Directory, Key, OtherKey, fs));
    }

    [Fact]
    public async Task A_checkpoint_copy_of_an_encrypted_database_carries_its_key_file_and_opens_with_the_same_master_key()
    {
        var fs = new FaultyFileSystem();
        var copy = new MemoryStream();
        using (var engine = Open(fs, Key))
        {
            for (var i = 0; i < 100; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"key{i:D3}"), B($"{Secret} {i}")));
            }

            await engine.CheckpointAsync();
            using var checkpoint = engine.OpenCheckpointCopy();
            await checkpoint.WriteToAsync(copy);
            Assert.Equal(checkpoint.Length, copy.Length);
        }

        copy.Position = 0;
        var options = EngineFixture.Options(fs) with { MasterKey = Key };
        await CheckpointCopy.ReceiveAsync(copy, "/copy", options);
        Assert.Throws<EncryptionKeyException>(() => StorageEngine.Open("/copy", options with { MasterKey = OtherKey }));
        using var received = StorageEngine.Open("/copy", options);
        Assert.True(received.IsEncrypted);
        Assert.Equal($"{Secret} 42", S(received.Get(B("key042"))));
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(4096L)]
    public async Task A_copy_keeps_every_entry_version_past_version_seq_and_chain_head_and_can_be_encrypted(long checkpointBytes)
    {
        var fs = new FaultyFileSystem();
        var options = EngineFixture.Options(fs) with { KeepHistory = true };
        var big = new string('v', 30_000);
        using var source = StorageEngine.Open(EngineFixture.Directory, options);
        for (var i = 0; i < 400; i++)
        {
            await source.CommitAsync(new WriteBatch().Put(B($"key{i % 150:D3}"), B($"{Secret} {i}")));
        }

        await source.CheckpointAsync();
        var middle = source.LastSeq;
        await source.CommitAsync(new WriteBatch().Put(B("big"), B(big)).Delete(B("key007")));
        await source.CommitAsync(new WriteBatch().Put(B("key008"), B("changed")));

        var seq = source.CopyTo("/copy", options with { MasterKey = Key }, checkpointBytes);
        Assert.Equal(source.LastSeq, seq);
        Assert.False(Contains(fs, "/copy/quire.db", Secret));

        using (var copy = StorageEngine.Open("/copy", options with { MasterKey = Key }))
        {
            Assert.True(copy.IsEncrypted);
            Assert.Equal(source.LastSeq, copy.LastSeq);
            Assert.Equal(source.ChainHead.Head, copy.ChainHead.Head);
            Assert.Equal(Entries(source.Scan()), Entries(copy.Scan()));
            Assert.True(copy.TryGetVersioned(B("key008"), out var version));
            Assert.True(source.TryGetVersioned(B("key008"), out var sourceVersion));
            Assert.Equal(sourceVersion.Version, version.Version);
            Assert.True(copy.TryGetVersioned(B("key007"), out var tombstone) && tombstone.Value is null);
            using (var past = copy.OpenSnapshot(middle))
            using (var sourcePast = source.OpenSnapshot(middle))
            {
                Assert.Equal(Entries(sourcePast.Scan().ToList()), Entries(past.Scan().ToList()));
            }

            var next = await copy.CommitAsync(new WriteBatch().Put(B("after"), B("copy")));
            Assert.Equal(source.LastSeq + 1, next.FirstSeq);
        }

        using var reopened = StorageEngine.Open("/copy", options with { MasterKey = Key });
        Assert.Equal("copy", S(reopened.Get(B("after"))));
        Assert.Equal(big, S(reopened.Get(B("big"))));
    }

    [Fact]
    public void Master_keys_are_64_hex_characters_or_at_least_16_bytes()
    {
        Assert.Contains("64 hex characters", Assert.Throws<FormatException>(() => MasterKey.FromHex("abc")).Message);
        Assert.Contains("not hex", Assert.Throws<FormatException>(() => MasterKey.FromHex(new string('g', 64))).Message);
        Assert.Throws<FormatException>(() => MasterKey.FromBytes(new byte[15]));
        Assert.Equal(MasterKey.FromHex(new string('a', 64)).FingerprintHex, Key.FingerprintHex);
        Assert.NotEqual(OtherKey.FingerprintHex, Key.FingerprintHex);
    }

    private static List<string> Entries(IEnumerable<StoredEntry> entries) =>
        [.. entries.Select(e => $"{Convert.ToHexString(e.Key)}={Convert.ToHexString(e.Value)}@{e.Version}")];

    private static StorageEngine Open(FaultyFileSystem fs, MasterKey? master) =>
        StorageEngine.Open(EngineFixture.Directory, EngineFixture.Options(fs) with { MasterKey = master });

    private static string S(byte[]? bytes) => Encoding.UTF8.GetString(bytes ?? []);

    private static DatabaseIdentity Identity(FaultyFileSystem fs)
    {
        var header = new byte[FileHeader.Size];
        Read(fs, "/db/quire.db", 0, header);
        var parsed = FileHeader.TryRead(header, FileKind.Database, "quire.db")!.Value;
        return new DatabaseIdentity(parsed.DatabaseId, parsed.Epoch, parsed.PageSize);
    }

    private static long Length(IFileSystem fs, string path)
    {
        using var file = fs.Open(path, create: false);
        return file.Length;
    }

    private static void Read(IFileSystem fs, string path, long offset, byte[] destination)
    {
        using var file = fs.Open(path, create: false);
        file.ReadFully(offset, destination);
    }

    private static byte[] Bytes(IFileSystem fs, string path)
    {
        var bytes = new byte[Length(fs, path)];
        Read(fs, path, 0, bytes);
        return bytes;
    }

    private static bool Contains(IFileSystem fs, string path, string text) =>
        Bytes(fs, path).AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static string Snapshot(FaultyFileSystem fs) =>
        string.Join(",", new[] { "/db/quire.db", "/db/quire.key", Segment }.Select(p => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Bytes(fs, p)))));
}
