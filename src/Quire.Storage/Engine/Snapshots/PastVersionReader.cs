using Quire.Storage.Format;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Finds the version of a key as of a seq among the past versions a root keeps (see
/// <see cref="HistoryKey"/>): from the live cell's version down the chain of cells each
/// replaced, one point lookup per version newer than the seq. For a key whose live cell is
/// newer than that seq. One thread at a time; the cursor stays on the version found until
/// the next <see cref="Seek"/>.
/// </summary>
internal sealed class PastVersionReader(TreeRoot root, INodeSource? source)
{
    private readonly TreeCursor _cursor = new(root, source);
    private byte[] _key = new byte[128];

    /// <summary>The past version found by the last successful <see cref="Seek"/> (a tombstone if the key was deleted then).</summary>
    public TreeCursor Found => _cursor;

    /// <summary>
    /// Moves to the version of <paramref name="key"/> as of <paramref name="asOf"/>, starting
    /// from its live cell's <paramref name="liveVersion"/> (newer than <paramref name="asOf"/>);
    /// false when the key had not been written by then.
    /// </summary>
    public bool Seek(ReadOnlySpan<byte> key, long liveVersion, long asOf)
    {
        var length = HistoryKey.Length(key.Length);
        if (_key.Length < length)
        {
            _key = new byte[length * 2];
        }

        var replacedBy = liveVersion;
        while (true)
        {
            HistoryKey.Write(_key, key, replacedBy);
            var target = _key.AsSpan(0, length);
            _cursor.SeekForward(target, fromStart: false);
            if (!_cursor.IsValid || !_cursor.Key.SequenceEqual(target))
            {
                return false;   // nothing replaced by that op: the key was first written by it
            }

            var version = _cursor.Cell.Version;
            if (version <= asOf)
            {
                return true;
            }

            replacedBy = version;
        }
    }
}
