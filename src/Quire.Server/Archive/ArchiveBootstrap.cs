using Quire.Databases;
using Quire.Replication.Archive;
using Quire.Replication.ObjectStore;
using Quire.Server.Service;

namespace Quire.Server.Archive;

/// <summary>
/// <c>quire serve --replica-of URL --bootstrap-from s3://bucket/prefix</c>: a replica makes a
/// database it lacks from the primary's archive (its base copy and archived log, fetched in
/// parallel from the bucket) instead of streaming a copy of the whole database from the
/// primary, then follows the primary's log from the archive's end.
/// </summary>
internal sealed class ArchiveBootstrap(S3Location location, Uri? endpoint) : IDisposable
{
    private readonly S3ObjectStore _store = new(location.Bucket, endpoint);

    /// <summary>Where the archive is.</summary>
    public S3Location Location => location;

    /// <summary>Makes the replica's database <paramref name="name"/> from its archive; null (and nothing changed) when the archive has none of that name.</summary>
    /// <exception cref="ArchiveException">The archive is incomplete.</exception>
    /// <exception cref="ObjectStoreException">The bucket failed.</exception>
    public async Task<(Database Database, RestoreResult Restored)?> RestoreAsync(string name, QuireService service, CancellationToken cancellationToken)
    {
        Database? made = null;
        var restored = await ArchiveRestore.RestoreReplicaAsync(
            _store,
            location.Key(name),
            async (copy, packs, c) => made = await service.ReplaceReplicaDatabaseAsync(name, copy, packs, c).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return restored is null || made is null ? null : (made, restored);
    }

    public void Dispose() => _store.Dispose();
}
