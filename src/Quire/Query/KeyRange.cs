using Quire.Indexes;
using Quire.Keys;

namespace Quire.Query;

/// <summary>
/// The keys a range or order plan reads (of a sorted index, or of the documents for a range
/// of ids), from (inclusive) to (exclusive):
/// computed by the planner, so <c>EXPLAIN</c> shows them (<c>key_range</c>, hex).
/// </summary>
/// <param name="From">The first key read.</param>
/// <param name="To">The key just past the last one read.</param>
public sealed record KeyRange(byte[] From, byte[] To)
{
    /// <summary>
    /// The range of <paramref name="index"/> an <see cref="AccessPath.SortedOrder"/> plan (the
    /// whole index) or an <see cref="AccessPath.SortedRange"/> plan (its bounds in
    /// <paramref name="served"/>, all on one field and of one type) reads.
    /// </summary>
    internal static KeyRange Of(string collection, IndexDefinition index, AccessPath access, IReadOnlyList<NqlCondition> served)
    {
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, index.Id).ToArray();
        if (access == AccessPath.SortedOrder)
        {
            return new KeyRange(prefix, Keyspace.End(prefix));
        }

        // Start and end at the type's own region, then narrow by each bound.
        var numbers = served[0].Value.Kind == NqlValueKind.Number;
        byte[] from = [.. prefix, numbers ? KeyTags.NegativeNumber : KeyTags.String];
        byte[] to = [.. prefix, numbers ? (byte)(KeyTags.PositiveNumber + 1) : (byte)(KeyTags.String + 1)];
        foreach (var bound in served)
        {
            if (NqlSemantics.IsLongNumber(bound.Value))
            {
                // Entries of numbers too long for a key may be cut: keep the whole region of its first digits, the filter decides.
                byte[] region = [.. prefix, .. new KeyBuilder().NumberRegion(ExactNumber.Parse(bound.Value.Text)).Span];
                if (bound.Operator is NqlOperator.Greater or NqlOperator.GreaterOrEqual)
                {
                    from = Max(from, region);
                }
                else
                {
                    to = Min(to, Keyspace.End(region));
                }

                continue;
            }

            var value = NqlSemantics.Encode(new KeyBuilder(), bound.Value).ToArray();
            byte[] at = [.. prefix, .. value];
            byte[] past = [.. at, 0xFF];

            // A literal cut to fit a key stands for every value sharing its prefix: keep them all, the filter decides.
            var cut = value[^1] == KeyTags.Truncated;
            switch (bound.Operator)
            {
                case NqlOperator.Greater:
                    from = Max(from, cut ? at : past);
                    break;
                case NqlOperator.GreaterOrEqual:
                    from = Max(from, at);
                    break;
                case NqlOperator.Less:
                    to = Min(to, cut ? past : at);
                    break;
                default:
                    to = Min(to, past);
                    break;
            }
        }

        return new KeyRange(from, to);
    }

    /// <summary>
    /// The documents a <see cref="AccessPath.PrimaryRange"/> plan reads: from its greatest lower
    /// bound (inclusive) to just past its least upper bound. The bounds stay in the filter, which
    /// drops an id equal to an exclusive bound.
    /// </summary>
    internal static KeyRange OfIds(string collection, IReadOnlyList<NqlCondition> served)
    {
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).ToArray();
        var (from, to) = (prefix, Keyspace.End(prefix));
        foreach (var bound in served)
        {
            byte[] at = [.. prefix, .. new KeyBuilder().String(bound.Value.Text).Span];
            if (bound.Operator is NqlOperator.Greater or NqlOperator.GreaterOrEqual)
            {
                from = Max(from, at);
            }
            else
            {
                to = Min(to, Keyspace.End(at));
            }
        }

        return new KeyRange(from, to);
    }

    private static byte[] Max(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b) >= 0 ? a : b;

    private static byte[] Min(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b) <= 0 ? a : b;
}
