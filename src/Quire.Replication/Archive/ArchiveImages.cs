using Quire.Databases;
using Quire.Replication.ObjectStore;

namespace Quire.Replication.Archive;

/// <summary>
/// Makes an archive's images of a database: whole base copies, and page packs of the pages
/// changed since the newest image (which cost what the checkpoints since wrote, not the
/// database's size). Each is spooled to a file beside the database (whatever its size, not
/// through memory) and uploaded from it; one left by a process that died is removed by the
/// next image of that database. Packs need the page hashes of the newest image, kept in
/// memory and in <c>.&lt;db&gt;.archive-pages</c> beside the database, so a restarted server
/// goes on with packs (a whole copy when the file is missing or of another image).
/// </summary>
internal sealed class ArchiveImages(Database database, IObjectStore store, Guid writer, Func<string, string> key)
{
    /// <summary>The spool files of this process's archivers, which must not be taken for leftovers.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Spools = new(StringComparer.Ordinal);

    private PageHashes? _hashes;
    private string? _hashesOf;
    private (string Key, PageHashes Hashes)? _pending;

    /// <summary>Bytes of the packs since the newest whole copy: once they pass the size of a copy, the next image is a whole copy again.</summary>
    public long PackBytesSinceBase { get; private set; }

    /// <summary>Whether the next image can be a pack: the newest image in <paramref name="manifest"/> is one whose pages this archiver knows.</summary>
    public bool CanPack(ArchiveManifest manifest) => _hashes is not null && manifest.Bases.Count > 0 && manifest.Bases[^1].Key == _hashesOf;

    /// <summary>
    /// Checkpoints, uploads an image of that checkpoint (a pack when <paramref name="pack"/>, else
    /// a whole copy) and returns its entry for the manifest; its page hashes count once
    /// <see cref="Adopt"/> sees it in the manifest written.
    /// </summary>
    public async Task<ArchivedBase> TakeAsync(bool pack, CancellationToken cancellationToken)
    {
        var root = Path.GetDirectoryName(database.Directory)!;
        var spool = Path.Combine(root, $".{database.Name}.archive-spool-{writer:N}");
        Spools.TryAdd(spool, 0);
        foreach (var left in Directory.EnumerateFiles(root, $".{database.Name}.archive-spool-*").Where(f => !Spools.ContainsKey(f)))
        {
            File.Delete(left);
        }

        try
        {
            var hashes = pack ? _hashes!.Clone() : new PageHashes();
            long seq, length;
            using (var copy = await database.OpenCopyAsync().ConfigureAwait(false))
            {
                await using var file = new FileStream(spool, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
                if (pack)
                {
                    await copy.WritePackAsync(file, hashes.Changed, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await copy.WriteToAsync(file, hashes.Observe, cancellationToken).ConfigureAwait(false);
                }

                (seq, length) = (copy.Seq, file.Length);
            }

            var name = key(pack ? $"pack/{seq + 1:D20}-{writer:N}.pages" : $"base/{seq + 1:D20}-{writer:N}.copy");
            await store.PutFileAsync(name, spool, cancellationToken).ConfigureAwait(false);
            _pending = (name, hashes);
            PackBytesSinceBase = pack ? PackBytesSinceBase + length : 0;
            return new ArchivedBase(name, seq, length, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), pack);
        }
        finally
        {
            File.Delete(spool);
            Spools.TryRemove(spool, out _);
        }
    }

    /// <summary>Takes the page hashes of the image just made once <paramref name="manifest"/>, now written, ends with it.</summary>
    public void Adopt(ArchiveManifest manifest)
    {
        if (_pending is { } pending && manifest.Bases.Count > 0 && manifest.Bases[^1].Key == pending.Key)
        {
            (_hashes, _hashesOf) = (pending.Hashes, pending.Key);
            pending.Hashes.Save(HashesPath, pending.Key);
        }

        _pending = null;
    }

    /// <summary>Takes up the page hashes saved beside the database when they are of the newest image in <paramref name="manifest"/> (read at start).</summary>
    public void Resume(ArchiveManifest manifest)
    {
        if (manifest.Bases.Count > 0 && PageHashes.Load(HashesPath, manifest.Bases[^1].Key) is { } saved)
        {
            (_hashes, _hashesOf) = (saved, manifest.Bases[^1].Key);
        }
    }

    private string HashesPath => Path.Combine(Path.GetDirectoryName(database.Directory)!, $".{database.Name}.archive-pages");
}
