using System.Text.Json;
using Quire.Databases;
using Quire.Replication.ObjectStore;
using Quire.Storage.Engine;
using Quire.Storage.Log;

namespace Quire.Replication.Archive;

/// <summary>
/// Archives one database to an object store while it runs: a base copy when the archive is
/// new (or the log no longer reaches back to where it ends), then every interval the log
/// records made durable since, as one immutable object, and the manifest replaced by
/// compare-and-swap; once enough log has passed, a page pack of what the checkpoints since
/// changed (<see cref="ArchiveImages"/>), so a restore replays a bounded log. The log is held from the first record not yet archived, so checkpoints
/// never recycle what the archive still needs. An archiver that finds the manifest changed by
/// another writer stops for good (it never overwrites) and says why in <see cref="Stopped"/>.
/// With <see cref="ArchiverOptions.Retain"/> it deletes what no point within the retention
/// needs (<see cref="ArchiveRetention"/>), after the manifest stops listing it.
/// </summary>
public sealed class DatabaseArchiver : IAsyncDisposable
{
    /// <summary>The longest pause between retries of a failing upload: the log is held meanwhile, so a long outage costs disk, not data.</summary>
    private const int MaxPauseMs = 5000;

    private readonly Database _database;
    private readonly IObjectStore _store;
    private readonly string _prefix;
    private readonly ArchiverOptions _options;
    private readonly ArchiveImages _images;
    private readonly Action<string> _log;
    private readonly Action<string> _warn;
    private readonly Guid _writer = Guid.NewGuid();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private ArchiveManifest? _manifest;
    private string? _etag;
    private LogHolds.Hold? _hold;
    private long _nextSeq = -1;
    private LogCursor? _cursor;
    private long _logBytesSinceImage;

    private DatabaseArchiver(Database database, IObjectStore store, string prefix, ArchiverOptions options, Action<string> log, Action<string>? warn)
    {
        _options = options;
        _images = new ArchiveImages(database, store, _writer, Key);
        _warn = warn ?? log;
        _database = database;
        _store = store;
        _prefix = prefix;
        _log = log;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The database archived.</summary>
    public string Database => _database.Name;

    /// <summary>The last seq the archive holds (-1 before the first upload).</summary>
    public long ArchivedSeq => Volatile.Read(ref _manifest)?.LastSeq ?? -1;

    /// <summary>Objects uploaded so far (log stretches, bases and manifests).</summary>
    public long Uploads { get; private set; }

    /// <summary>Bytes uploaded so far.</summary>
    public long UploadedBytes { get; private set; }

    /// <summary>Why archiving stopped for good (another writer owns the archive), or null while it runs.</summary>
    public string? Stopped { get; private set; }

    /// <summary>The last failure that is being retried, or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>
    /// Starts archiving <paramref name="database"/> under <paramref name="prefix"/> (its own folder
    /// of the archive) as <paramref name="options"/> say; what it does goes to <paramref name="log"/>,
    /// failures it retries and the reason it stops to <paramref name="warn"/> (default: the log).
    /// </summary>
    public static DatabaseArchiver Start(Database database, IObjectStore store, string prefix, ArchiverOptions options, Action<string> log, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(database, store, prefix, options, log, warn);
    }

    /// <summary>Uploads what the log holds now and returns once it is in the archive (or archiving stopped).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = _database.Head.Seq;
        while (Stopped is null && (Volatile.Read(ref _manifest) is null || ArchivedSeq < target))
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested && Stopped is null)
        {
            var pause = TimeSpan.Zero;
            try
            {
                if (_manifest is null)
                {
                    await BeginAsync(stopping).ConfigureAwait(false);
                }

                await ShipAsync(stopping).ConfigureAwait(false);
                await RetainAsync(stopping).ConfigureAwait(false);
                failures = 0;
                LastError = null;
                await _database.WhenChangedAsync(ArchivedSeq, stopping).WaitAsync(_options.Interval, stopping).ConfigureAwait(false);
                await Task.Delay(_options.Interval, stopping).ConfigureAwait(false);   // at most one upload per interval
            }
            catch (TimeoutException)
            {
                // nothing written in an interval: look again
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;   // the database was dropped or closed
            }
            catch (Exception ex) when (ex is ObjectStoreException or IOException or HttpRequestException or JsonException)
            {
                // The store is down or refusing: the log is held, so nothing is lost while we wait.
                LastError = ex.Message;
                _warn($"archive of {_database.Name}: {ex.Message}; retrying");
                pause = TimeSpan.FromMilliseconds(Math.Min(MaxPauseMs, 100 << Math.Min(failures++, 6)));   // 100 ms doubling to 5 s
            }
            catch (Exception ex)
            {
                // Not one of the store's failures: a fault of ours or of the SDK. Never end the loop silently
                // (FlushAsync would wait for ever and the log stay held): say what it is and retry.
                LastError = $"{ex.GetType().Name}: {ex.Message}";
                _warn($"archive of {_database.Name} failed unexpectedly: {LastError}; retrying");
                pause = TimeSpan.FromMilliseconds(MaxPauseMs);
            }

            if (pause > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(pause, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Reads the manifest, or makes the archive; takes a base copy when the log no longer reaches the archive's end.</summary>
    private async Task BeginAsync(CancellationToken cancellationToken)
    {
        _hold ??= _database.HoldLog(_database.LogStartSeq);   // before reading the manifest: nothing recycled meanwhile
        var current = await _store.GetAsync(Key("manifest.json"), cancellationToken).ConfigureAwait(false);
        var manifest = current is null ? null : ArchiveManifest.Parse(current.Data);
        var id = _database.DatabaseId;
        if (manifest is not null && manifest.DatabaseId != id)
        {
            Stop($"the archive at {_prefix} is of another database ({manifest.DatabaseId}, this one is {id})");
            return;
        }

        if (manifest is not null && manifest.LastSeq > _database.Head.Seq)
        {
            Stop($"the archive at {_prefix} reaches seq {manifest.LastSeq}, past this database's last seq {_database.Head.Seq}");
            return;
        }

        _etag = current?.ETag;
        var next = manifest is null ? -1 : NextSeq(manifest);
        if (manifest is null || next < _database.LogStartSeq)
        {
            // A new archive, or the log no longer reaches its end (the server was stopped while checkpoints
            // recycled it): a base copy, and the log from after it.
            manifest = await WithImageAsync(manifest ?? new ArchiveManifest { DatabaseId = id, Writer = _writer }, pack: false, cancellationToken).ConfigureAwait(false);
            if (!await ReplaceManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            next = manifest.Bases[^1].Seq + 1;
        }
        else
        {
            _manifest = manifest;
            _images.Resume(manifest);
        }

        _nextSeq = next;
        _hold.MoveTo(next);
        _log($"archive of {_database.Name}: to {_prefix}, from seq {next}");
    }

    /// <summary>Where the archived log goes on: after its end, or after the newest base when the log ends before it and cannot be followed from there.</summary>
    private long NextSeq(ArchiveManifest manifest)
    {
        var afterBase = manifest.Bases.Count > 0 ? manifest.Bases[^1].Seq + 1 : 0;
        if (manifest.LogEnd < 0)
        {
            return afterBase;
        }

        var afterLog = manifest.LogEnd + 1;
        return afterLog >= afterBase || afterLog >= _database.LogStartSeq ? afterLog : afterBase;
    }

    /// <summary>Uploads an image of the database (checkpointed now: a page pack, or a whole copy) and returns the manifest with it.</summary>
    private async Task<ArchiveManifest> WithImageAsync(ArchiveManifest manifest, bool pack, CancellationToken cancellationToken)
    {
        var image = await _images.TakeAsync(pack, cancellationToken).ConfigureAwait(false);
        Uploads++;
        UploadedBytes += image.Bytes;
        _logBytesSinceImage = 0;
        // Stretches the new image covers are still listed: older images need them for restores to earlier seqs.
        return manifest with { Bases = [.. manifest.Bases, image] };
    }

    /// <summary>Uploads the durable records after the archive's end as one object and records it in the manifest.</summary>
    private async Task ShipAsync(CancellationToken cancellationToken)
    {
        if (_manifest is null || _nextSeq < 0)
        {
            return;
        }

        // Kept between uploads, so each reads on from where the last ended; dropped after a failure, so the same records are read again.
        var cursor = _cursor is { } kept && kept.NextSeq == _nextSeq ? kept : new LogCursor(_nextSeq);
        _cursor = null;
        var records = new List<LogRecord>();
        var bytes = 0L;
        while (bytes < 16 << 20)
        {
            var read = _database.ReadLogRecords(cursor);
            if (read.Count == 0)
            {
                break;
            }

            records.AddRange(read);   // each read fills an array of its own: the payloads stay valid without a copy
            bytes += read.Sum(r => (long)r.Payload.Length);
        }

        if (records.Count == 0)
        {
            _cursor = cursor;
            return;
        }

        var (first, last) = (records[0].FirstSeq, records[^1].LastSeq);
        var name = $"log/{first:D20}-{last:D20}";
        var data = ArchivedRecords.Encode(records);
        if (_database.IsEncrypted)
        {
            data = ArchivedRecords.Sealed(_database.SealExternal(data, name));   // as the database's own log is: an archive of it is not plaintext
        }

        var key = Key(name);
        await UploadAsync(key, data, cancellationToken).ConfigureAwait(false);
        _logBytesSinceImage += data.Length;
        var manifest = _manifest with { Writer = _writer, Log = [.. _manifest.Log, new ArchivedStretch(key, first, last, Now())] };
        if (manifest.Log.Count >= _options.ManifestStretches)
        {
            manifest = await WithHistoryAsync(manifest, cancellationToken).ConfigureAwait(false);
        }

        // A pack when the log since the newest image is long enough to be worth folding in (a
        // restore then replays less), as long as the packs since the whole copy stay smaller than
        // a copy would be; a whole copy when packs cannot be made, and every half retention (so
        // older ones can go).
        var whole = _manifest.Bases.Last(b => !b.Pack);
        var aged = _options.RebaseAge is { } age && Now() - whole.AtMs >= age.TotalMilliseconds;
        if (_logBytesSinceImage > _options.RebaseLogBytes && !aged && _images.CanPack(_manifest)
            && _images.PackBytesSinceBase < Math.Max(whole.Bytes, _database.Storage.DataFileBytes))   // packs cheaper than a copy of the database as it is now
        {
            manifest = await WithImageAsync(manifest, pack: true, cancellationToken).ConfigureAwait(false);
        }
        else if (aged || _logBytesSinceImage > Math.Max(_options.RebaseLogBytes, whole.Bytes))
        {
            manifest = await WithImageAsync(manifest, pack: false, cancellationToken).ConfigureAwait(false);
        }

        if (await ReplaceManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
        {
            _nextSeq = last + 1;
            _hold?.MoveTo(_nextSeq);
            _cursor = cursor;
        }
    }

    /// <summary>
    /// Drops from the manifest what no point within the retention needs, then deletes those
    /// objects and any other the archive no longer needs (left by a collection cut short).
    /// </summary>
    private async Task RetainAsync(CancellationToken cancellationToken)
    {
        if (_options.Retain is not { } retain || _manifest is null || Stopped is not null
            || ArchiveRetention.Collect(_manifest, Now() - (long)retain.TotalMilliseconds) is not var (kept, from))
        {
            return;
        }

        var keptBase = kept.Bases[0].Key;
        if (!await ReplaceManifestAsync(kept with { Writer = _writer }, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // The manifest no longer lists them, so from here no restore looks for them.
        var deleted = 0;
        await foreach (var key in _store.ListAsync(_prefix + "/", cancellationToken).ConfigureAwait(false))
        {
            if (key != keptBase && ArchiveRetention.LastSeqOf(key[(_prefix.Length + 1)..]) <= from)
            {
                await _store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
        }

        _log($"archive of {_database.Name}: retention kept from seq {from} on, deleted {deleted} objects");
    }

    /// <summary>Moves the manifest's stretches into an immutable history object, so the manifest rewritten every interval stays small.</summary>
    private async Task<ArchiveManifest> WithHistoryAsync(ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        var (first, last) = (manifest.Log[0].First, manifest.Log[^1].Last);
        var key = Key($"history/{first:D20}-{last:D20}.json");
        await UploadAsync(key, ArchiveManifest.SerializeStretches(manifest.Log), cancellationToken).ConfigureAwait(false);
        return manifest with { History = [.. manifest.History, new ArchivedHistory(key, first, last, manifest.Log[^1].AtMs)], Log = [] };
    }

    /// <summary>Replaces the manifest if it is still the one read; false (and archiving stopped) when another writer changed it.</summary>
    private async Task<bool> ReplaceManifestAsync(ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        var data = manifest.Serialize();
        var etag = await _store.PutIfAsync(Key("manifest.json"), data, _etag, cancellationToken).ConfigureAwait(false);
        Uploads++;
        UploadedBytes += data.Length;
        if (etag is null)
        {
            Stop($"another writer changed the manifest at {_prefix}: this server stops archiving {_database.Name} and never overwrites it");
            return false;
        }

        _etag = etag;
        Volatile.Write(ref _manifest, manifest);
        _images.Adopt(manifest);
        return true;
    }

    private async Task UploadAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _store.PutAsync(key, data, cancellationToken).ConfigureAwait(false);
        Uploads++;
        UploadedBytes += data.Length;
    }

    private void Stop(string reason)
    {
        Stopped = reason;
        _hold?.Dispose();
        _hold = null;
        _warn($"archive of {_database.Name} stopped: {reason}");
    }

    private string Key(string name) => $"{_prefix}/{name}";

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Stops archiving (what is not uploaded yet stays in the log for the next run) and releases the log.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _hold?.Dispose();
        _stop.Dispose();
    }
}
