using Quire.Storage.Engine;

namespace Quire.Documents;

/// <summary>
/// The preconditions a batch carries, and why: <em>reads</em> pin the versions the batch's
/// index entries were computed from (if one moved, the batch is computed again), and
/// <em>checks</em> are callers' <c>if_seq</c>s that the write view could not confirm
/// (the sequencer decides them against the latest state, and they are reported).
/// </summary>
internal sealed class PendingPreconditions
{
    private readonly Dictionary<(byte[] Key, long Expected), List<(int Index, string Collection, string Id)>> _checks =
        new(KeyVersionComparer.Instance);

    private readonly HashSet<(byte[] Key, long Expected)> _reads = new(KeyVersionComparer.Instance);

    public void AddRead(WriteBatch batch, byte[] key, long expected)
    {
        if (_reads.Add((key, expected)))
        {
            batch.Require(key, expected);
        }
    }

    public void AddCheck(WriteBatch batch, byte[] key, long expected, int index, string collection, string id)
    {
        if (!_checks.TryGetValue((key, expected), out var ops))
        {
            _checks[(key, expected)] = ops = [];
            batch.Require(key, expected);
        }

        ops.Add((index, collection, id));
    }

    /// <summary>
    /// The callers' failures when every read still held, so the refusal is final; null
    /// when a read moved and the batch must be computed again.
    /// </summary>
    public List<PreconditionFailure>? Final(IReadOnlyList<KeyPreconditionFailure> failures)
    {
        var result = new List<PreconditionFailure>();
        foreach (var failure in failures)
        {
            if (_reads.Contains((failure.Key, failure.Expected)))
            {
                return null;
            }

            if (_checks.TryGetValue((failure.Key, failure.Expected), out var ops))
            {
                foreach (var (index, collection, id) in ops)
                {
                    result.Add(new PreconditionFailure(index, collection, id, failure.Expected, failure.Actual));
                }
            }
        }

        result.Sort((a, b) => a.Index.CompareTo(b.Index));
        return result;
    }

    private sealed class KeyVersionComparer : IEqualityComparer<(byte[] Key, long Expected)>
    {
        public static readonly KeyVersionComparer Instance = new();

        public bool Equals((byte[] Key, long Expected) x, (byte[] Key, long Expected) y) =>
            x.Expected == y.Expected && x.Key.AsSpan().SequenceEqual(y.Key);

        public int GetHashCode((byte[] Key, long Expected) obj) =>
            HashCode.Combine(ByteArrayComparer.Instance.GetHashCode(obj.Key), obj.Expected);
    }
}
