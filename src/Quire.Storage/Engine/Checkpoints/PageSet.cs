using System.Numerics;

namespace Quire.Storage.Engine;

/// <summary>
/// A set of page addresses as one bit per page of the file. A checkpoint takes and
/// frees tens of thousands of pages, lowest first: a sorted tree of boxed nodes spent a
/// fifth of the checkpoint thread's time on that bookkeeping, where a bitmap finds the
/// lowest member with a word scan from a hint and costs an eighth of a byte per page.
/// Not thread-safe.
/// </summary>
internal sealed class PageSet
{
    private ulong[] _words = [];
    private long _lowestWord; // no member lies in a word below this one

    /// <summary>Members now.</summary>
    public long Count { get; private set; }

    /// <summary>Adds <paramref name="page"/>; false when it was already a member.</summary>
    public bool Add(long page)
    {
        var word = page >> 6;
        if (word >= _words.Length)
        {
            Array.Resize(ref _words, (int)Math.Max(word + 1, _words.Length * 2L));
        }

        var bit = 1UL << (int)(page & 63);
        if ((_words[word] & bit) != 0)
        {
            return false;
        }

        _words[word] |= bit;
        Count++;
        _lowestWord = Math.Min(_lowestWord, word);
        return true;
    }

    /// <summary>Removes <paramref name="page"/>; false when it was not a member.</summary>
    public bool Remove(long page)
    {
        var word = page >> 6;
        var bit = 1UL << (int)(page & 63);
        if (word >= _words.Length || (_words[word] & bit) == 0)
        {
            return false;
        }

        _words[word] &= ~bit;
        Count--;
        return true;
    }

    /// <summary>Removes and returns the lowest member, or -1 when the set is empty.</summary>
    public long TakeLowest()
    {
        if (Count == 0)
        {
            return -1;
        }

        while (_words[_lowestWord] == 0)
        {
            _lowestWord++;
        }

        var page = (_lowestWord << 6) + BitOperations.TrailingZeroCount(_words[_lowestWord]);
        Remove(page);
        return page;
    }

    /// <summary>Adds every page of <paramref name="pages"/>.</summary>
    public void UnionWith(IEnumerable<long> pages)
    {
        foreach (var page in pages)
        {
            Add(page);
        }
    }

    /// <summary>Appends every member, lowest first, to <paramref name="into"/>.</summary>
    public void CopyTo(List<long> into)
    {
        for (var word = _lowestWord; word < _words.Length; word++)
        {
            for (var bits = _words[word]; bits != 0; bits &= bits - 1)
            {
                into.Add((word << 6) + BitOperations.TrailingZeroCount(bits));
            }
        }
    }

    /// <summary>Removes every member.</summary>
    public void Clear()
    {
        Array.Clear(_words);
        Count = 0;
        _lowestWord = 0;
    }
}
