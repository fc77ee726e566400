using Quire.Files;

namespace Quire.Databases;

/// <summary>A database's versioned files (nedbd's <c>files</c>).</summary>
public sealed partial class Database
{
    /// <summary>
    /// Stores a new version of the file <paramref name="name"/> in <paramref name="tier"/>
    /// (<c>warm</c> or <c>cold</c>) and returns it: its version (0 for the first), size and
    /// Merkle root (nedb's, over its content-defined chunks). One atomic commit, recorded in
    /// the op log as <c>put_file</c>.
    /// </summary>
    /// <exception cref="FileTooLargeException">It is larger than <see cref="DatabaseOptions.MaxFileBytes"/>.</exception>
    /// <exception cref="Documents.InvalidNameException">A bad name or an unknown tier.</exception>
    public async Task<StoredFile> PutFileAsync(string name, byte[] data, string tier = "warm", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var stored = await FileStore.PutAsync(Engine, name, tier, data, _options.MaxFileBytes, NowMs, cancellationToken).ConfigureAwait(false);
        _changes.Notify();
        return stored;
    }

    /// <summary>A version of the file (the latest when <paramref name="version"/> is null) with its bytes, or null when there is none.</summary>
    public StoredFile? GetFile(string name, long? version = null, string tier = "warm")
    {
        using var snapshot = Engine.OpenSnapshot();
        return FileStore.Get(snapshot, name, tier, version);
    }
}
