using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Quire.Replication.Archive;
using Quire.Replication.ObjectStore;
using Quire.Server.Service;

namespace Quire.Server.Archive;

/// <summary>
/// <c>quire serve --archive s3://bucket/prefix</c>: one <see cref="DatabaseArchiver"/> per
/// database, each under <c>prefix/&lt;database&gt;</c>; every database is opened at start, and
/// one created later is archived from its first interval. What each archiver has done goes
/// to <c>/health</c> (<c>archive</c>) and <c>/metrics</c>.
/// </summary>
internal sealed class ArchiveService : IAsyncDisposable
{
    private readonly QuireService _service;
    private readonly S3ObjectStore _store;
    private readonly S3Location _location;
    private readonly ArchiverOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, DatabaseArchiver> _archivers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public ArchiveService(QuireService service, S3Location location, Uri? endpoint, ArchiverOptions options, ILogger logger)
    {
        _service = service;
        _location = location;
        _options = options;
        _logger = logger;
        _store = new S3ObjectStore(location.Bucket, endpoint);
    }

    /// <summary>Starts archiving every database, and each one created later.</summary>
    public void Start()
    {
        _service.OpenAll();
        _loop = Task.Run(() => WatchAsync(_stop.Token));
    }

    /// <summary>Adds <c>archive: {location, databases: {name: {seq, uploads, bytes, stopped?, error?}}}</c>.</summary>
    public void WriteHealth(Utf8JsonWriter w)
    {
        w.WriteStartObject("archive");
        w.WriteString("location", _location.ToString());
        w.WriteStartObject("databases");
        foreach (var (name, archiver) in _archivers.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(name);
            w.WriteNumber("seq", archiver.ArchivedSeq);
            w.WriteNumber("uploads", archiver.Uploads);
            w.WriteNumber("bytes", archiver.UploadedBytes);
            if (archiver.Stopped is { } stopped)
            {
                w.WriteString("stopped", stopped);
            }

            if (archiver.LastError is { } error)
            {
                w.WriteString("error", error);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The archive's instruments: per database the last seq archived, uploads, and whether archiving stopped.</summary>
    public void CreateInstruments(Meter meter)
    {
        meter.CreateObservableGauge("archive.seq", () => Each(a => a.ArchivedSeq), "{op}", "The last seq in the object-store archive.");
        meter.CreateObservableCounter("archive.uploads", () => Each(a => a.Uploads), "{object}", "Objects uploaded to the archive.");
        meter.CreateObservableCounter("archive.uploaded.bytes", () => Each(a => a.UploadedBytes), "By", "Bytes uploaded to the archive.");
        meter.CreateObservableGauge("archive.stopped", () => Each(a => a.Stopped is null ? 0 : 1), "{archive}", "1 when archiving stopped because another writer owns the archive.");
    }

    private IEnumerable<Measurement<long>> Each(Func<DatabaseArchiver, long> value) =>
        _archivers.Select(a => new Measurement<long>(value(a.Value), new KeyValuePair<string, object?>("db", a.Key)));

    private async Task WatchAsync(CancellationToken stopping)
    {
        try
        {
            await _store.EnsureBucketAsync(stopping).ConfigureAwait(false);
        }
        catch (ObjectStoreException ex)
        {
            _logger.LogWarning("archive: cannot create the bucket {Bucket} ({Reason}); archiving into it if it exists", _location.Bucket, ex.Message);
        }

        while (!stopping.IsCancellationRequested)
        {
            var open = _service.OpenDatabases();
            foreach (var database in open.Where(d => !_archivers.ContainsKey(d.Name)))
            {
                _archivers[database.Name] = DatabaseArchiver.Start(database, _store, _location.Key(database.Name), _options, Info, Warn);
            }

            foreach (var gone in _archivers.Keys.Except(open.Select(d => d.Name)).ToList())
            {
                if (_archivers.TryRemove(gone, out var archiver))
                {
                    await archiver.DisposeAsync().ConfigureAwait(false);   // dropped: its archive stays, as a backup of what it was
                }
            }

            try
            {
                await Task.Delay(_options.Interval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Info(string line)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("{Line}", line);
        }
    }

    private void Warn(string line) => _logger.LogWarning("{Line}", line);

    /// <summary>Stops every archiver (the log they hold is released; the next run goes on from the manifest).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        foreach (var archiver in _archivers.Values)
        {
            await archiver.DisposeAsync().ConfigureAwait(false);
        }

        _store.Dispose();
        _stop.Dispose();
    }
}
