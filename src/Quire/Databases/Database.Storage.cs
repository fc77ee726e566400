namespace Quire.Databases;

/// <summary>How a database's storage looks on disk, for <c>quire stats</c>.</summary>
/// <param name="DataFileBytes">The data file's size.</param>
/// <param name="FreeBytes">Bytes of the data file free for reuse.</param>
/// <param name="TreeDepth">Levels of the tree, root to leaves.</param>
/// <param name="LogBytesSinceCheckpoint">Log written since the last checkpoint: what an open replays.</param>
/// <param name="CheckpointedSeq">The last seq the durable checkpoint covers (-1: none yet).</param>
/// <param name="ResidentBytes">Node pages held in memory now.</param>
/// <param name="Encrypted">Whether pages and log records are sealed with the database's own key.</param>
public sealed record StorageFootprint(
    long DataFileBytes, long FreeBytes, int TreeDepth, long LogBytesSinceCheckpoint, long CheckpointedSeq, long ResidentBytes, bool Encrypted);

public sealed partial class Database
{
    /// <summary>The storage's sizes and state now.</summary>
    public StorageFootprint Storage =>
        new(Engine.DataFilePages * Engine.Identity.PageSize, Engine.FreePages * Engine.Identity.PageSize, Engine.TreeDepth,
            Engine.LogBytesSinceCheckpoint, Engine.CheckpointedSeq, Engine.ResidentBytes, Engine.IsEncrypted);

    /// <summary>
    /// Reads every entry of the database (documents, indexes, the op log), so
    /// every page holding one is read from the file and checked against its checksum (or, in
    /// an encrypted database, its tag); returns how many entries there are. A damaged page
    /// throws <see cref="Storage.Format.CorruptDataException"/> naming it.
    /// </summary>
    public long ReadEverything()
    {
        long entries = 0;
        using var snapshot = Engine.OpenWriteView();
        using var cursor = snapshot.Cursor(null, null);
        while (cursor.MoveNext())
        {
            _ = cursor.Value;
            entries++;
        }

        return entries;
    }
}
