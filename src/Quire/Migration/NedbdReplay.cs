using Quire.Databases;
using Quire.Documents;

namespace Quire.Migration;

/// <summary>
/// Replays nedbd log records into a Quire database so that each op takes the seq it had:
/// runs of puts, deletes and links by one client written in one millisecond become one
/// atomic batch (with that client, its last nonce and that write time); ops Quire has no
/// equivalent for (checkpoint markers, unlinks, ops it cannot carry) become placeholders
/// that take their seq; file versions are written with their content from the snapshot.
/// </summary>
internal sealed class NedbdReplay
{
    private const int MaxBatchBytes = 4 * 1024 * 1024;

    private readonly Database _database;
    private readonly ReplayClock _clock;
    private readonly NedbdSnapshot? _snapshot;
    private readonly NedbdState _state;
    private readonly NedbdMigrationReport _report;
    private readonly Dictionary<string, long> _idems = new(StringComparer.Ordinal);
    private readonly List<(NedbdRecord Record, DocumentOp Op)> _batch = [];
    private readonly List<(string Description, (string, string, string)? Unlink)> _placeholders = [];
    private int _batchBytes;
    private long _nextSeq;

    public NedbdReplay(Database database, ReplayClock clock, NedbdSnapshot? snapshot, NedbdState state, NedbdMigrationReport report)
    {
        _database = database;
        _clock = clock;
        _snapshot = snapshot;
        _state = state;
        _report = report;
        _nextSeq = database.Head.Seq + 1;
    }

    /// <summary>Takes the next record (in seq order); this replay disposes it once written.</summary>
    public async Task AddAsync(NedbdRecord record, CancellationToken cancellationToken)
    {
        if (record.Op is "put" or "delete" or "link")
        {
            await PrepareAsync(record, cancellationToken).ConfigureAwait(false);
            await DocumentOpAsync(record, cancellationToken).ConfigureAwait(false);   // the batch owns the record now
            return;
        }

        using (record)
        {
            await PrepareAsync(record, cancellationToken).ConfigureAwait(false);
            await OtherOpAsync(record, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Counts the record and fills any seqs nedbd's log skipped before it with placeholders.</summary>
    private async Task PrepareAsync(NedbdRecord record, CancellationToken cancellationToken)
    {
        _report.Records++;
        _report.LastSeq = record.Seq;
        _report.NedbdHead = record.Hash;
        var pending = _nextSeq + _batch.Count + _placeholders.Count;
        if (record.Seq < pending)
        {
            throw new InvalidOperationException($"seq {record.Seq} of {_report.Database} cannot be kept: Quire's next seq is {pending}");
        }

        for (var missing = pending; missing < record.Seq; missing++)
        {
            await PlaceholderAsync($"seq {missing}: no record in nedbd's log", null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task OtherOpAsync(NedbdRecord record, CancellationToken cancellationToken)
    {
        switch (record.Op)
        {
            case "unlink" when record.Text("frm") is { } from && record.Text("rel") is { } relation && record.Text("to") is { } to:
                _state.Unlink(from, relation, to);
                _report.LinkOps++;
                await PlaceholderAsync($"seq {record.Seq}: nedbd unlink {from} -{relation}-> {to}", (from, relation, to), cancellationToken).ConfigureAwait(false);
                break;
            case "checkpoint":
                _report.Checkpoints++;
                await PlaceholderAsync($"seq {record.Seq}: nedbd checkpoint", null, cancellationToken).ConfigureAwait(false);
                break;
            case "put_file":
                await FileAsync(record, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await NotCarriedAsync(record, $"an op Quire does not know ({record.Op}) or one missing its fields", cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Writes what is pending.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await FlushBatchAsync(cancellationToken).ConfigureAwait(false);
        await FlushPlaceholdersAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DocumentOpAsync(NedbdRecord record, CancellationToken cancellationToken)
    {
        if (OpOf(record) is not { } op)
        {
            await NotCarriedAsync(record, "its payload lacks the collection, id, document or link ends", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (op.Idem is { } idem && !_idems.TryAdd(idem, record.Seq))
        {
            _report.NotCarried.Add(new NotCarried(record.Seq, record.Line, "idem", $"idempotency key {idem} was used before at seq {_idems[idem]}; the op is carried without it"));
            op = op with { Idem = null };
        }

        await FlushPlaceholdersAsync(cancellationToken).ConfigureAwait(false);
        if (_batch.Count > 0 && (_batch[0].Record.Client != record.Client || TsMs(_batch[0].Record) != TsMs(record)
            || _batch.Count >= 10_000 || _batchBytes > MaxBatchBytes))
        {
            await FlushBatchAsync(cancellationToken).ConfigureAwait(false);
        }

        _batch.Add((record, op));
        _batchBytes += record.Payload.GetRawText().Length;
    }

    private static DocumentOp? OpOf(NedbdRecord record)
    {
        var key = record.Text("key");
        var colon = key?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        var collection = record.Text("coll") ?? (colon > 0 ? key![..colon] : null);
        var id = record.Text("id") ?? (colon > 0 ? key![(colon + 1)..] : null);
        var op = record.Op switch
        {
            "put" when collection is not null && id is not null && record.Payload.TryGetProperty("doc", out var doc) => DocumentOp.Put(collection, id, doc),
            "delete" when collection is not null && id is not null => DocumentOp.Delete(collection, id),
            "link" when record.Text("frm") is { } from && record.Text("rel") is { } relation && record.Text("to") is { } to => DocumentOp.Link(from, relation, to),
            _ => null,
        };
        return op is null ? null : op with { Idem = record.Idem };
    }

    private async Task FlushBatchAsync(CancellationToken cancellationToken)
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var batch = _batch.ToList();
        _batch.Clear();
        _batchBytes = 0;
        await WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="batch"/> atomically; when Quire refuses it, writes its ops one by one, each refused one as a placeholder.</summary>
    private async Task WriteBatchAsync(List<(NedbdRecord Record, DocumentOp Op)> batch, CancellationToken cancellationToken)
    {
        var last = batch[^1].Record;
        _clock.NowMs = TsMs(batch[0].Record);
        try
        {
            var result = await _database.BatchAsync([.. batch.Select(b => b.Op)], new BatchOptions { Client = last.Client, Nonce = last.Nonce }, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                Applied(batch[i].Record, batch[i].Op, result.Results[i].Seq);
            }
        }
        catch (Exception ex) when (ex is InvalidOpException or InvalidDocumentException or InvalidNameException or NonceReplayException or ArgumentException)
        {
            if (batch.Count > 1)
            {
                foreach (var single in batch)
                {
                    await WriteBatchAsync([single], cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            if (ex is NonceReplayException)
            {
                _report.NotCarried.Add(new NotCarried(last.Seq, last.Line, "nonce", $"{ex.Message}; the op is carried without its client's nonce"));
                var result = await _database.BatchAsync([batch[0].Op], cancellationToken: cancellationToken).ConfigureAwait(false);
                Applied(last, batch[0].Op, result.Results[0].Seq);
                return;
            }

            await NotCarriedAsync(last, ex.Message, cancellationToken).ConfigureAwait(false);
            await FlushPlaceholdersAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (record, _) in batch)
            {
                record.Dispose();
            }
        }
    }

    private void Applied(NedbdRecord record, DocumentOp op, long seq)
    {
        if (seq != record.Seq)
        {
            throw new InvalidOperationException($"nedbd seq {record.Seq} of {_report.Database} was written at Quire seq {seq}");
        }

        _nextSeq = seq + 1;
        switch (op.Kind)
        {
            case OpKind.Put:
                _state.Put(op.Collection, op.Id, seq, op.Document);
                _report.DocumentOps++;
                break;
            case OpKind.Delete:
                _state.Delete(op.Collection, op.Id, seq);
                _report.DocumentOps++;
                break;
            default:
                _state.Link(op.From, op.Relation, op.To);
                _report.LinkOps++;
                break;
        }
    }

    private async Task FileAsync(NedbdRecord record, CancellationToken cancellationToken)
    {
        var name = record.Text("name");
        var tier = record.Text("tier") ?? "warm";
        var version = record.Payload.TryGetProperty("version", out var v) && v.TryGetInt32(out var n) ? n : -1;
        string? reason = "its payload lacks the file's name or version";
        var content = name is null || version < 0 ? null
            : _snapshot is null ? null
            : _snapshot.FileContent(tier, name, version, out reason);
        if (name is not null && version >= 0 && _snapshot is null)
        {
            reason = "nedbd keeps file content only in its snapshot, and the database has none";
        }

        if (content is null)
        {
            await NotCarriedAsync(record, reason!, cancellationToken).ConfigureAwait(false);
            return;
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        _clock.NowMs = TsMs(record);
        try
        {
            var stored = await _database.PutFileAsync(name!, content, tier, cancellationToken).ConfigureAwait(false);
            _nextSeq = _database.Head.Seq + 1;
            if (_database.Head.Seq != record.Seq)
            {
                throw new InvalidOperationException($"nedbd seq {record.Seq} of {_report.Database} (a file) was written at Quire seq {_database.Head.Seq}");
            }

            _report.FileVersions++;
            if (stored.Version != version || stored.Root != record.Text("root"))
            {
                _report.Mismatch($"file {tier}/{name} version {version}: Quire stored version {stored.Version} with root {stored.Root}, nedbd's root is {record.Text("root")}");
            }
        }
        catch (Exception ex) when (ex is Files.FileTooLargeException or InvalidNameException)
        {
            await NotCarriedAsync(record, ex.Message, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task NotCarriedAsync(NedbdRecord record, string reason, CancellationToken cancellationToken)
    {
        _report.NotCarried.Add(new NotCarried(record.Seq, record.Line, record.Op, reason));
        await PlaceholderAsync($"seq {record.Seq}: nedbd {record.Op} not carried: {reason}", null, cancellationToken).ConfigureAwait(false);
    }

    private async Task PlaceholderAsync(string description, (string, string, string)? unlink, CancellationToken cancellationToken)
    {
        await FlushBatchAsync(cancellationToken).ConfigureAwait(false);
        _placeholders.Add((description, unlink));
    }

    private async Task FlushPlaceholdersAsync(CancellationToken cancellationToken)
    {
        if (_placeholders.Count == 0)
        {
            return;
        }

        var first = await _database.CommitPlaceholdersAsync(_placeholders, cancellationToken).ConfigureAwait(false);
        if (first != _nextSeq)
        {
            throw new InvalidOperationException($"placeholders of {_report.Database} were written from Quire seq {first}, expected {_nextSeq}");
        }

        _nextSeq += _placeholders.Count;
        _placeholders.Clear();
    }

    private static long TsMs(NedbdRecord record) => (long)Math.Round(record.Ts * 1000);
}
