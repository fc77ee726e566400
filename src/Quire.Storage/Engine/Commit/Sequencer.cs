using Quire.Storage.Log;

namespace Quire.Storage.Engine;

/// <summary>
/// Orders a group of commits: checks each one's preconditions against the latest
/// state (everything sequenced before: the state once the publisher has caught up,
/// plus the earlier commits of the same group), rejects
/// those that fail, and gives the rest contiguous seqs by appending them to the log.
/// Runs on the thread that holds the group (the log writer, or a caller leading its own commit), one at a time.
/// </summary>
internal sealed class Sequencer
{
    private readonly WriteAheadLog _log;
    private readonly TreeState _state;
    private readonly Publisher _publisher;

    // Keys written by earlier commits of the current group, built only when a later
    // commit of the group has preconditions: the common case pays nothing.
    private readonly Dictionary<byte[], long> _groupWrites = new(ByteArrayComparer.Instance);
    private int _groupWritesUpTo;

    public Sequencer(WriteAheadLog log, TreeState state, Publisher publisher)
    {
        _log = log;
        _state = state;
        _publisher = publisher;
    }

    public void Sequence(List<PendingCommit> group)
    {
        _groupWrites.Clear();
        _groupWritesUpTo = 0;
        for (var i = 0; i < group.Count; i++)
        {
            var commit = group[i];
            var preconditions = commit.Batch.Preconditions;
            if (preconditions.Count > 0)
            {
                var failures = Check(group, i, preconditions);
                if (failures is not null)
                {
                    commit.Rejection = new KeyPreconditionFailedException(failures);
                    continue;
                }
            }

            commit.FirstSeq = _log.NextSeq;
            _log.Append(commit.Batch.OpCount, commit.Batch.Payload);
        }
    }

    private List<KeyPreconditionFailure>? Check(List<PendingCommit> group, int index, IReadOnlyList<Precondition> preconditions)
    {
        // Earlier groups may still be on their way into the state; preconditions need all of them.
        _publisher.WaitUntilIdle();
        IncludeGroupWrites(group, index);
        List<KeyPreconditionFailure>? failures = null;
        foreach (var p in preconditions)
        {
            long? actual = null;
            var exists = false;
            if (_groupWrites.TryGetValue(p.Key, out var inGroup))
            {
                // Encoded as version for a put, ~version for a delete.
                actual = inGroup >= 0 ? inGroup : ~inGroup;
                exists = inGroup >= 0;
            }
            else if (_state.TryGetLatest(p.Key, out var current))
            {
                actual = current.Version;
                exists = !current.IsDeleted;
            }

            var holds = p.Expected == WriteBatch.Absent ? !exists : actual == p.Expected;
            if (!holds)
            {
                (failures ??= []).Add(new KeyPreconditionFailure(p.OpIndex, p.Key, p.Expected, actual));
            }
        }

        return failures;
    }

    private void IncludeGroupWrites(List<PendingCommit> group, int index)
    {
        for (; _groupWritesUpTo < index; _groupWritesUpTo++)
        {
            var earlier = group[_groupWritesUpTo];
            if (earlier.FirstSeq < 0)
            {
                continue;
            }

            var reader = new BatchPayload.Reader(earlier.Batch.Payload);
            while (reader.MoveNext())
            {
                if (reader.IsChained)
                {
                    continue; // its key is a prefix; the record's own key is never a precondition's
                }

                var version = earlier.FirstSeq + reader.OpIndex;
                _groupWrites[reader.Key.ToArray()] = reader.IsDelete ? ~version : version;
            }
        }
    }
}
