using System.Runtime.ExceptionServices;

namespace Quire.Storage.Tree;

/// <summary>
/// Applying a large run of writes sorted by key on two threads. Random writes copy a
/// leaf each (8 KiB for a 200-byte put), and one thread copying them is bound by the
/// memory bandwidth one core gets; a group of a thousand such writes left the second
/// core idle while its fsync ran. The run is cut at a boundary between two children of
/// the root, and each half is applied by a writer of its own that shares the root:
/// each changes only its own children's slots in it and no other node the other
/// reaches, and the separators a split would add to the root are kept aside (the
/// writer routes its later writes through them) until both halves are done, when they
/// go into the root in key order. A node under a kept-aside separator takes its fences
/// from the root's separators, which are wider: its key prefix may be shorter than a
/// sequential run would give it, and a split at its right edge may start an empty node
/// where the sequential run would have moved half of it (fill, not content, differs).
/// </summary>
internal sealed partial class BTree
{
    /// <summary>The key of write <paramref name="index"/> of a run sorted by key.</summary>
    public delegate ReadOnlySpan<byte> SortedKey(int index);

    /// <summary>Applies writes [<paramref name="from"/>, <paramref name="to"/>) of a run sorted by key to <paramref name="writer"/>.</summary>
    public delegate void SortedWrites(BTree writer, int from, int to);

    // Below this, handing half to another thread costs more than it saves.
    private const int ParallelMinimumWrites = 512;

    // In a half's writer: separators for the shared root, kept aside until the merge.
    private readonly DeferredSeparators? _deferred;

    // In a half's writer: what it retired, handed to the tree's retirement at the merge
    // (which is not thread-safe).
    private readonly RecordedRetirement? _recorded;

    /// <summary>A writer for one half of a parallel run: shares the root (already writable), and counts from zero.</summary>
    private BTree(BTree tree)
    {
        _pool = tree._pool;
        _source = tree._source;
        _maxInlineCell = tree._maxInlineCell;
        _scratch = new byte[tree._scratch.Length];
        _generation = tree._generation;
        _root = tree._root;
        Depth = tree.Depth;
        _deferred = new DeferredSeparators();
        _recorded = new RecordedRetirement();
        Retirement = _recorded;
        _past = tree._past is null ? null : new PastVersions();
    }

    /// <summary>
    /// Applies writes [0, <paramref name="count"/>), sorted by key, in two halves on two
    /// threads (the upper half on a pool thread, or on this one if the pool has not
    /// started it when the lower half is done), when the run is large, the machine has
    /// two cores and the cut between two children of the root is not lopsided. False,
    /// with nothing applied, otherwise. A failure in either half is thrown once both are
    /// done, and the tree must not be used again (the engine turns read-only).
    /// </summary>
    public bool TryApplySortedInParallel(int count, SortedKey keyAt, SortedWrites apply)
    {
        if (count < ParallelMinimumWrites || Depth < 2 || Environment.ProcessorCount < 2 || _deferred is not null)
        {
            return false;
        }

        var root = Writable(_root, 0);
        // A lopsided cut (most writes under one child) is not worth a second thread.
        var split = SplitPoint(root.Page, count, keyAt);
        if (split < count / 8 || split > count - (count / 8))
        {
            return false;
        }

        var forkDepth = Depth;
        var lower = new BTree(this);
        var upper = new BTree(this);

        // Whichever thread claims the upper half first applies it: a pool busy with other
        // work may not start it before this thread is done with the lower half, and then
        // this thread is better off applying it than waiting.
        var claimed = 0;
        var upperOnPool = Task.Run(() =>
        {
            if (Interlocked.Exchange(ref claimed, 1) == 0)
            {
                apply(upper, split, count);
            }
        });
        Exception? failure = null;
        try
        {
            apply(lower, 0, split);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        if (Interlocked.Exchange(ref claimed, 1) == 0)
        {
            // The pool never started the upper half (and now never will): apply it here,
            // unless the lower half failed.
            upperOnPool = null;
            try
            {
                if (failure is null)
                {
                    apply(upper, split, count);
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }

        try
        {
            upperOnPool?.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            failure ??= ex;
        }

        if (failure is not null)
        {
            // The halves' kept-aside separators, counts and retirements are dropped with
            // the tree: a failed apply turns the engine read-only (see Publisher), and
            // nothing reads or writes this working tree again.
            ExceptionDispatchInfo.Throw(failure);
        }

        _finger = null;
        Merge(lower, forkDepth);
        Merge(upper, forkDepth);
        return true;
    }

    /// <summary>The index nearest the middle of the run where the root child its keys fall under changes (0 when there is none).</summary>
    private static int SplitPoint(byte[] rootPage, int count, SortedKey keyAt)
    {
        var middle = count / 2;
        var child = TreeReader.ChildIndex(rootPage, keyAt(middle));
        var first = FirstUnder(rootPage, keyAt, 0, middle, child);
        var next = FirstUnder(rootPage, keyAt, middle, count, child + 1);
        if (first == 0)
        {
            return next == count ? 0 : next;
        }

        return next == count || middle - first <= next - middle ? first : next;
    }

    /// <summary>The first index in [<paramref name="from"/>, <paramref name="to"/>) whose key falls under root child <paramref name="child"/> or a later one (<paramref name="to"/> if none).</summary>
    private static int FirstUnder(byte[] rootPage, SortedKey keyAt, int from, int to, int child)
    {
        while (from < to)
        {
            var mid = (int)((uint)(from + to) >> 1);
            if (TreeReader.ChildIndex(rootPage, keyAt(mid)) >= child)
            {
                to = mid;
            }
            else
            {
                from = mid + 1;
            }
        }

        return from;
    }

    /// <summary>Takes in what a half's writer did: its counts, its retirements, and its separators for the root.</summary>
    private void Merge(BTree half, int forkDepth)
    {
        Count += half.Count;
        Interlocked.Add(ref _dirtyPages, half._dirtyPages);
        half._recorded!.ReplayInto(Retirement);
        if (half._past is not null)
        {
            _past!.AddFrom(half._past);
        }

        if (half._erasures is { } erasures)
        {
            (_erasures ??= []).AddRange(erasures);
        }

        foreach (var (key, right) in half._deferred!.Entries)
        {
            // The separator goes into the node at the old root's height, which a split
            // of the root during these insertions may have moved down a level.
            var level = Depth - forkDepth;
            var node = _root;
            for (var d = 0; d < level; d++)
            {
                var child = TreeReader.ChildIndex(node.Page, key);
                _path[d] = node;
                _pathChild[d] = child;
                node = node.Children![child]!;
            }

            _path[level] = node;
            InsertSeparator(level, key, right);
        }
    }

    /// <summary>
    /// The node a half's writer goes to below root child <paramref name="child"/> for
    /// <paramref name="key"/>: a right sibling split off that child in this run, if one
    /// holds the key, else null (the child itself).
    /// </summary>
    private Node? DeferredRight(ReadOnlySpan<byte> key, byte[] rootPage, int child) =>
        _deferred!.Find(key, child == 0 ? [] : PageLayout.KeyAt(rootPage, child - 1));

    /// <summary>Separators for the shared root, in key order, each with the node to its right.</summary>
    private sealed class DeferredSeparators
    {
        private readonly List<(byte[] Key, Node Right)> _entries = [];

        public IReadOnlyList<(byte[] Key, Node Right)> Entries => _entries;

        public void Add(byte[] key, Node right)
        {
            var at = _entries.Count;
            while (at > 0 && _entries[at - 1].Key.AsSpan().SequenceCompareTo(key) > 0)
            {
                at--;
            }

            _entries.Insert(at, (key, right));
        }

        /// <summary>The right node of the greatest separator at or below <paramref name="key"/>, if it is at or above the child's own low fence (empty for the first child).</summary>
        public Node? Find(ReadOnlySpan<byte> key, ReadOnlySpan<byte> lowFence)
        {
            for (var i = _entries.Count - 1; i >= 0; i--)
            {
                var separator = _entries[i].Key.AsSpan();
                if (separator.SequenceCompareTo(key) <= 0)
                {
                    return separator.SequenceCompareTo(lowFence) >= 0 ? _entries[i].Right : null;
                }
            }

            return null;
        }
    }

    /// <summary>Retirements of a half's writer, kept for the tree's own retirement, which one thread at a time may call.</summary>
    private sealed class RecordedRetirement : ITreeRetirement
    {
        private readonly List<Action<ITreeRetirement>> _calls = [];

        public void Retired(Node node) => _calls.Add(retirement => retirement.Retired(node));

        public void Retired(Blob blob, int length) => _calls.Add(retirement => retirement.Retired(blob, length));

        public void Retired(long blobAddress, int length) => _calls.Add(retirement => retirement.Retired(blobAddress, length));

        public void RetiredPage(long address) => _calls.Add(retirement => retirement.RetiredPage(address));

        public void ReplayInto(ITreeRetirement? retirement)
        {
            if (retirement is not null)
            {
                _calls.ForEach(call => call(retirement));
            }
        }
    }
}
