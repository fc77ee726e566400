namespace Quire.Server.Tests.History;

/// <summary>
/// Checks that one key's history is linearizable: that every operation can be given a
/// single instant between its invocation and its completion so that, in that order, each
/// answer is what <see cref="RegisterModel"/> gives. Wing and Gong's search with Lowe's
/// memoization (as Porcupine and Knossos do): events in time order; an operation is tried
/// as the next to take effect while no completion comes first; an already-seen pair of
/// (operations done, state) is not searched again; a completion reached with its operation
/// not done means backtracking.
/// </summary>
internal static class Linearizability
{
    /// <summary>The most search steps before the check gives up (a history too concurrent to decide).</summary>
    public const long MaxSteps = 50_000_000;

    /// <summary>Null when <paramref name="ops"/> (all on one key) is linearizable from <paramref name="initial"/>; otherwise why not.</summary>
    public static string? Check(IReadOnlyList<HistoryOp> ops, string? initial)
    {
        var head = Events(ops);
        var done = new ulong[(ops.Count + 63) / 64];
        var seen = new HashSet<Seen>();
        var taken = new Stack<(Event Call, string? Before, int Choice)>();
        var (state, deepest, stuckAt, steps) = (initial, 0, (HistoryOp?)null, 0L);
        var at = head.Next;
        while (head.Next is not null)
        {
            if (++steps > MaxSteps)
            {
                return $"undecided after {MaxSteps} search steps ({ops.Count} operations)";
            }

            if (at!.IsCall)
            {
                at = TryTake(at, 0) ? head.Next : at.Next;
                continue;
            }

            // A completion whose operation has not taken effect: undo the latest choice and try its next.
            if (taken.Count >= deepest)
            {
                (deepest, stuckAt) = (taken.Count, at.Op);
            }

            if (taken.Count == 0)
            {
                return $"not linearizable: at most {deepest} of {ops.Count} operations order, stuck before {stuckAt} completes";
            }

            var (call, before, choice) = taken.Pop();
            Unset(done, call.Id);
            Restore(call);
            state = before;
            at = TryTake(call, choice + 1) ? head.Next : call.Next;
        }

        return null;

        // Takes the call's operation as the next to happen, with the first possible outcome from choice on that leads somewhere new.
        bool TryTake(Event call, int from)
        {
            var outcomes = RegisterModel.Next(state, call.Op).ToList();
            for (var choice = from; choice < outcomes.Count; choice++)
            {
                Set(done, call.Id);
                if (seen.Add(new Seen((ulong[])done.Clone(), outcomes[choice])))
                {
                    taken.Push((call, state, choice));
                    state = outcomes[choice];
                    Lift(call);
                    return true;
                }

                Unset(done, call.Id);
            }

            return false;
        }
    }

    /// <summary>The invocations and completions in time order (an invocation first when they tie: the more permissive order), after a head.</summary>
    private static Event Events(IReadOnlyList<HistoryOp> ops)
    {
        var events = new List<Event>(ops.Count * 2);
        for (var i = 0; i < ops.Count; i++)
        {
            var call = new Event(ops[i], i, isCall: true, ops[i].Invoke);
            var completion = new Event(ops[i], i, isCall: false, ops[i].Complete);
            call.Match = completion;
            events.Add(call);
            events.Add(completion);
        }

        events.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.IsCall != b.IsCall ? (a.IsCall ? -1 : 1) : a.Id.CompareTo(b.Id));
        var head = new Event(null!, -1, isCall: false, long.MinValue);
        var previous = head;
        foreach (var e in events)
        {
            previous.Next = e;
            e.Previous = previous;
            previous = e;
        }

        return head;
    }

    /// <summary>Takes an operation's two events out of the list; each keeps its neighbours, so <see cref="Restore"/> (in reverse order) puts it back.</summary>
    private static void Lift(Event call)
    {
        Unlink(call);
        Unlink(call.Match!);

        static void Unlink(Event e)
        {
            e.Previous!.Next = e.Next;
            if (e.Next is not null)
            {
                e.Next.Previous = e.Previous;
            }
        }
    }

    private static void Restore(Event call)
    {
        Relink(call.Match!);
        Relink(call);

        static void Relink(Event e)
        {
            e.Previous!.Next = e;
            if (e.Next is not null)
            {
                e.Next.Previous = e;
            }
        }
    }

    private static void Set(ulong[] bits, int i) => bits[i >> 6] |= 1UL << (i & 63);

    private static void Unset(ulong[] bits, int i) => bits[i >> 6] &= ~(1UL << (i & 63));

    private sealed class Event(HistoryOp op, int id, bool isCall, long time)
    {
        public HistoryOp Op { get; } = op;

        public int Id { get; } = id;

        public bool IsCall { get; } = isCall;

        public long Time { get; } = time;

        public Event? Match { get; set; }

        public Event? Previous { get; set; }

        public Event? Next { get; set; }
    }

    /// <summary>A point of the search: which operations are done, and the state they left.</summary>
    private readonly struct Seen(ulong[] done, string? state) : IEquatable<Seen>
    {
        private readonly ulong[] _done = done;
        private readonly string? _state = state;

        public bool Equals(Seen other) => _state == other._state && _done.AsSpan().SequenceEqual(other._done);

        public override bool Equals(object? obj) => obj is Seen other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(_state);
            foreach (var word in _done)
            {
                hash.Add(word);
            }

            return hash.ToHashCode();
        }
    }
}
