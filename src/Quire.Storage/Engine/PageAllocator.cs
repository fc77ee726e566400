namespace Quire.Storage.Engine;

/// <summary>
/// Hands out page numbers of the data file to one checkpoint at a time, from the end
/// of the file. An attempt that fails before its superblock is durable gives back
/// everything it took (<see cref="Rollback"/>).
/// </summary>
internal sealed class PageAllocator(long pageCount)
{
    private long _mark;

    /// <summary>Pages the file holds: every address below is in use.</summary>
    public long PageCount { get; private set; } = pageCount;

    /// <summary>Where this attempt's pages start, for <see cref="Rollback"/>.</summary>
    public void Begin() => _mark = PageCount;

    /// <summary>The first of <paramref name="pages"/> contiguous new pages.</summary>
    public long Allocate(int pages)
    {
        var address = PageCount;
        PageCount += pages;
        return address;
    }

    /// <summary>Forgets every page taken since <see cref="Begin"/>.</summary>
    public void Rollback() => PageCount = _mark;
}
