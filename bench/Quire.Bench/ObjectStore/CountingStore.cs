using Quire.Replication.ObjectStore;

namespace Quire.Bench.ObjectStore;

/// <summary>An object store that counts the objects and bytes written through it (puts and conditional puts).</summary>
internal sealed class CountingStore(IObjectStore inner) : IObjectStore
{
    private long _objects;
    private long _bytes;

    public long Objects => Interlocked.Read(ref _objects);

    public long Bytes => Interlocked.Read(ref _bytes);

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        Count(data.Length);
        return inner.PutAsync(key, data, cancellationToken);
    }

    public Task PutFileAsync(string key, string path, CancellationToken cancellationToken = default)
    {
        Count(new FileInfo(path).Length);
        return inner.PutFileAsync(key, path, cancellationToken);
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, cancellationToken);

    public Task<string?> PutIfAsync(string key, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default)
    {
        Count(data.Length);
        return inner.PutIfAsync(key, data, ifMatch, cancellationToken);
    }

    public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

    private void Count(long bytes)
    {
        Interlocked.Increment(ref _objects);
        Interlocked.Add(ref _bytes, bytes);
    }
}
