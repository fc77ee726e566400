namespace Quire.Storage.Format;

/// <summary>What a Quire file holds; part of its magic, so one kind is never read as another.</summary>
public enum FileKind : byte
{
    /// <summary>The database file (identity now; pages and superblocks with the tree).</summary>
    Database = (byte)'D',

    /// <summary>A log segment.</summary>
    LogSegment = (byte)'L',
}
