namespace Quire.Replication.ObjectStore;

/// <summary>
/// An object store as the archive uses it: objects written once under new names, read,
/// listed and deleted, and one kind of object (a manifest) replaced only by compare-and-swap,
/// so that two writers can never both believe they replaced it.
/// </summary>
public interface IObjectStore
{
    /// <summary>Writes <paramref name="data"/> as <paramref name="key"/>, unconditionally (for immutable objects under names not used before).</summary>
    /// <exception cref="ObjectStoreException">The store refused or failed after its retries.</exception>
    Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the file at <paramref name="path"/> as <paramref name="key"/>, unconditionally: for
    /// objects too large to hold in memory (base copies), which a store may upload in parts.
    /// </summary>
    /// <exception cref="ObjectStoreException">The store refused or failed after its retries.</exception>
    async Task PutFileAsync(string key, string path, CancellationToken cancellationToken = default) =>
        await PutAsync(key, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>The object as a stream read as it arrives (dispose it), or null when there is none: for objects too large to hold in memory.</summary>
    /// <exception cref="ObjectStoreException">The store refused or failed after its retries.</exception>
    async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default) =>
        await GetAsync(key, cancellationToken).ConfigureAwait(false) is { } stored ? new MemoryStream(stored.Data, writable: false) : null;

    /// <summary>
    /// Writes <paramref name="data"/> as <paramref name="key"/> only if the object is still the
    /// one read with ETag <paramref name="ifMatch"/>, or, with null, only if there is none. The
    /// new ETag when it was written; null when the condition failed (another writer won).
    /// </summary>
    /// <exception cref="ObjectStoreException">The store refused or failed after its retries, and the outcome is known not to be a write.</exception>
    Task<string?> PutIfAsync(string key, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default);

    /// <summary>The object and its ETag, or null when there is none.</summary>
    Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>The keys under <paramref name="prefix"/>, in key order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Deletes the object; deleting one that is not there is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>An object read from the store.</summary>
/// <param name="Data">Its bytes.</param>
/// <param name="ETag">Its entity tag (without quotes), for a later <see cref="IObjectStore.PutIfAsync"/>.</param>
public sealed record StoredObject(byte[] Data, string ETag);
