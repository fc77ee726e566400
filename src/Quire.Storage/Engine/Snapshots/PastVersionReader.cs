using Quire.Storage.Format;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Finds the version of a key as of a seq among the past versions a root keeps (see
/// <see cref="HistoryKey"/>): one backward seek to the newest past version at or before
/// the seq. For a key whose live cell is newer than that seq. One thread at a time;
/// the cursor stays on the version found until the next <see cref="Seek"/>.
/// </summary>
internal sealed class PastVersionReader(TreeRoot root, INodeSource? source)
{
    private readonly TreeCursor _cursor = new(root, source);
    private byte[] _key = new byte[128];

    /// <summary>The past version found by the last successful <see cref="Seek"/> (a tombstone if the key was deleted then).</summary>
    public TreeCursor Found => _cursor;

    /// <summary>Moves to the version of <paramref name="key"/> as of <paramref name="asOf"/>; false when the key had not been written by then.</summary>
    public bool Seek(ReadOnlySpan<byte> key, long asOf)
    {
        var length = HistoryKey.Length(key.Length);
        if (_key.Length < length)
        {
            _key = new byte[length * 2];
        }

        // The last entry before (key, asOf + 1) is the newest version at or before asOf, if it is key's.
        HistoryKey.Write(_key, key, asOf + 1);
        var target = _key.AsSpan(0, length);
        _cursor.SeekBackward(target, toEnd: false);
        if (!_cursor.IsValid)
        {
            return false;
        }

        var found = _cursor.Key;
        return found.Length == length && found[..^8].SequenceEqual(target[..^8]);
    }
}
