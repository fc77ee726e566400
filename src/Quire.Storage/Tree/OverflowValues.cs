namespace Quire.Storage.Tree;

/// <summary>
/// Values too large to keep inside a page, addressed by handle. A stand-in for overflow
/// pages, which come with the page file: handles are reused once freed.
/// </summary>
internal sealed class OverflowValues
{
    private readonly List<byte[]?> _values = [];
    private readonly Stack<int> _free = new();

    public int Add(ReadOnlySpan<byte> value)
    {
        var copy = value.ToArray();
        if (_free.TryPop(out var handle))
        {
            _values[handle] = copy;
            return handle;
        }

        _values.Add(copy);
        return _values.Count - 1;
    }

    public byte[] Get(int handle) => _values[handle] ?? throw new InvalidOperationException($"overflow handle {handle} is free");

    public void Free(int handle)
    {
        _values[handle] = null;
        _free.Push(handle);
    }
}
