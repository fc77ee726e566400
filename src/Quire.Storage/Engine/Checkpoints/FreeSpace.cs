using System.Runtime.InteropServices;
using Quire.Storage.Format;

namespace Quire.Storage.Engine;

/// <summary>
/// The data file's space: which pages a checkpoint may write. A page of a replaced
/// node or blob is retired with the writer generation that replaced it, once no root
/// that reaches it is in use. It may be written again once the durable checkpoint no
/// longer references it: at once if that checkpoint's root is of a later generation,
/// else after the next checkpoint. Nodes take free pages (lowest first) and blobs
/// contiguous runs from the end of the file. Each checkpoint persists what it changed
/// as a delta chained from the superblock, and every <see cref="CompactAfterPages"/>
/// pages the chain is replaced by a base listing every free page. One checkpoint at a
/// time allocates; <see cref="Retire"/> may be called from any thread.
/// </summary>
internal sealed class FreeSpace
{
    private const int CompactAfterPages = 16;

    private readonly object _pendingLock = new();
    private readonly List<RetiredRun> _pending = [];
    private readonly PageSet _free = new();
    private readonly PageSet _unpersisted = new(); // free, but no durable list says so yet
    private List<long> _chain;                         // the persisted list's pages, newest first

    // One checkpoint attempt: what it took and freed, to persist or to give back.
    private readonly List<long> _taken = [];
    private readonly List<long> _takenUnpersisted = [];
    private readonly List<long> _freedAfter = [];
    private readonly List<RetiredRun> _freedAfterRuns = [];
    private List<long>? _newChain;
    private long _mark;

    /// <summary>The space of a file of <paramref name="pageCount"/> pages with no free page yet, whose persisted list is <paramref name="chain"/>.</summary>
    public FreeSpace(long pageCount, List<long> chain)
    {
        PageCount = pageCount;
        _chain = chain;
    }

    /// <summary>Pages the file holds: every address below is in use or free.</summary>
    public long PageCount { get; private set; }

    /// <summary>Pages the last <see cref="WriteList"/> wrote.</summary>
    public int ListPagesWritten { get; private set; }

    /// <summary>Pages free for reuse now.</summary>
    public long FreePages => _free.Count;

    /// <summary>The persisted list's newest page (0 for none) and its length in pages.</summary>
    public (long Head, int Pages) Chain => (_chain.Count == 0 ? 0 : _chain[0], _chain.Count);

    /// <summary>Reads the persisted list of a superblock: every free page, and the chain's pages.</summary>
    public static FreeSpace Read(DataFile file, Superblock superblock)
    {
        var chain = new List<long>();
        var pages = new List<(long[] Added, long[] Removed, bool IsBase)>();
        for (var address = superblock.FreeListAddress; address != 0;)
        {
            var (isBase, previous, added, removed) = file.ReadFreeListPage(address);
            chain.Add(address);
            pages.Add((added, removed, isBase));
            address = isBase ? 0 : previous;
        }

        var space = new FreeSpace(superblock.PageCount, chain);
        for (var i = pages.Count - 1; i >= 0; i--)
        {
            space._free.UnionWith(pages[i].Added);
            foreach (var page in pages[i].Removed)
            {
                space._free.Remove(page);
            }
        }

        return space;
    }

    /// <summary>Pages that a root of <paramref name="generation"/> on no longer reaches, nor will any root in use.</summary>
    public void Retire(long address, int pages, long generation)
    {
        lock (_pendingLock)
        {
            _pending.Add(new RetiredRun(address, pages, generation));
        }
    }

    /// <summary>
    /// Starts a checkpoint of a root of <paramref name="rootGeneration"/> while the
    /// durable one is of <paramref name="durableGeneration"/>: pages no durable root
    /// references become free now; those only the durable root references become free
    /// once this checkpoint is durable.
    /// </summary>
    public void Begin(long durableGeneration, long rootGeneration)
    {
        _mark = PageCount;
        lock (_pendingLock)
        {
            _pending.RemoveAll(run =>
            {
                if (run.Generation <= durableGeneration)
                {
                    for (var p = run.Address; p < run.Address + run.Pages; p++)
                    {
                        _free.Add(p);
                        _unpersisted.Add(p);
                    }

                    return true;
                }

                if (run.Generation <= rootGeneration)
                {
                    _freedAfterRuns.Add(run);
                    for (var p = run.Address; p < run.Address + run.Pages; p++)
                    {
                        _freedAfter.Add(p);
                    }

                    return true;
                }

                return false;
            });
        }
    }

    /// <summary>A page for a node: the lowest free one, else a new one at the end.</summary>
    public long AllocatePage()
    {
        var page = _free.TakeLowest();
        if (page < 0)
        {
            return PageCount++;
        }

        (_unpersisted.Remove(page) ? _takenUnpersisted : _taken).Add(page);
        return page;
    }

    /// <summary>The first of <paramref name="pages"/> contiguous new pages at the end of the file.</summary>
    public long AllocateRun(int pages)
    {
        var address = PageCount;
        PageCount += pages;
        return address;
    }

    /// <summary>Writes what this checkpoint changes in the persisted list (a delta, or a whole new base) and returns the new chain.</summary>
    /// <remarks>
    /// The list's own pages are taken like a node's (the lowest free page, else one at the
    /// end), so checkpoints that change little do not grow the file by a page each. With
    /// <paramref name="keepChain"/> (a copy of the durable checkpoint is being taken) the
    /// chain is never replaced by a new base: its pages stay as that checkpoint wrote them.
    /// </remarks>
    public (long Head, int Pages) WriteList(DataFile file, bool keepChain = false)
    {
        ListPagesWritten = 0;
        var capacity = FreeListPage.Capacity(file.Identity.PageSize);
        var isBase = _chain.Count >= CompactAfterPages && !keepChain;
        if (!isBase && _unpersisted.Count + _freedAfter.Count + _taken.Count == 0)
        {
            _newChain = _chain;
            return Chain;
        }

        var pages = TakeListPages(isBase, capacity);
        List<long> added = [];
        List<long> removed = [];
        if (isBase)
        {
            // Everything free once this checkpoint is durable, the old chain included.
            _free.CopyTo(added);
            added.AddRange(_freedAfter);
            added.AddRange(_chain);
            _freedAfter.AddRange(_chain);
        }
        else
        {
            _unpersisted.CopyTo(added);
            added.AddRange(_freedAfter);
            removed = _taken;
        }

        var chain = isBase ? [] : new List<long>(_chain);
        var page = new byte[file.Identity.PageSize];
        var previous = isBase ? 0 : Chain.Head;
        var addedAt = 0;
        var removedAt = 0;
        foreach (var address in pages)
        {
            // An estimate a page too high leaves the last page empty: still a valid delta.
            var addedHere = Math.Min(capacity, added.Count - addedAt);
            var removedHere = Math.Min(capacity - addedHere, removed.Count - removedAt);
            FreeListPage.Write(
                page, address, isBase && previous == 0, previous,
                CollectionsMarshal.AsSpan(added).Slice(addedAt, addedHere), CollectionsMarshal.AsSpan(removed).Slice(removedAt, removedHere));
            file.WritePage(address, page);
            chain.Insert(0, address);
            ListPagesWritten++;
            previous = address;
            addedAt += addedHere;
            removedAt += removedHere;
        }

        if (addedAt < added.Count || removedAt < removed.Count)
        {
            throw new InvalidOperationException($"the free list took {pages.Count} pages for {added.Count} added and {removed.Count} removed pages");
        }

        _newChain = chain;
        return (chain[0], chain.Count);
    }

    /// <summary>
    /// Takes the pages the list needs. A base lists every free page, fewer once these are
    /// taken; a delta lists each page taken from the durable list as removed.
    /// </summary>
    private List<long> TakeListPages(bool isBase, int capacity)
    {
        var entries = isBase ? _free.Count + _freedAfter.Count + _chain.Count : _unpersisted.Count + _freedAfter.Count + _taken.Count;
        var count = 1;
        while ((long)count * capacity < entries + (isBase ? 0 : count))
        {
            count++;
        }

        var pages = new List<long>(count);
        for (var i = 0; i < count; i++)
        {
            pages.Add(AllocatePage());
        }

        return pages;
    }

    /// <summary>The checkpoint is durable: what it freed is free, and its list is the persisted one.</summary>
    public void Commit()
    {
        _free.UnionWith(_freedAfter);
        _unpersisted.Clear();
        _chain = _newChain ?? _chain;
        ClearAttempt();
    }

    /// <summary>The checkpoint failed before its superblock: give back what it took, keep what it would have freed for the next.</summary>
    public void Abandon()
    {
        PageCount = _mark;
        _free.UnionWith(_taken);
        foreach (var page in _takenUnpersisted)
        {
            _free.Add(page);
            _unpersisted.Add(page);
        }

        lock (_pendingLock)
        {
            _pending.AddRange(_freedAfterRuns);
        }

        ClearAttempt();
    }

    private void ClearAttempt()
    {
        _taken.Clear();
        _takenUnpersisted.Clear();
        _freedAfter.Clear();
        _freedAfterRuns.Clear();
        _newChain = null;
    }

    private readonly record struct RetiredRun(long Address, int Pages, long Generation);
}
