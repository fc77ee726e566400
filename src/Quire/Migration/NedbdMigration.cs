using Quire.Databases;
using Quire.Indexes;
using Quire.Storage.Crypto;
using Quire.Storage.Engine;

namespace Quire.Migration;

/// <summary>
/// Moves nedbd v1 databases (the Python engine's <c>log.aof</c>, <c>snapshot.json</c>,
/// <c>meta.json</c> and, when encrypted, <c>key.enc</c>) into Quire: every op at the seq it
/// had, with its client, nonce, idempotency key and write time, documents with their TTLs and
/// provenance, links, file versions, and the index definitions; then checks the result
/// against nedbd's state. Reads the nedbd files only; never changes them.
/// </summary>
public static class NedbdMigration
{
    /// <summary>The nedbd databases in <paramref name="nedbdRoot"/>: its subdirectories holding a <c>log.aof</c> or <c>meta.json</c> (or the <c>log.aof.v1.bak</c> nedbd v2 leaves).</summary>
    public static IReadOnlyList<string> Databases(string nedbdRoot) =>
        [.. Directory.EnumerateDirectories(nedbdRoot)
            .Where(d => LogPath(d) is not null || File.Exists(Path.Combine(d, "meta.json")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)];

    /// <summary>
    /// Migrates the nedbd database in <paramref name="sourceDirectory"/> into a new database
    /// <paramref name="name"/> under <paramref name="targetRoot"/> (which must not hold one of
    /// that name). An encrypted one opens with <paramref name="nedbdMasterKeys"/> (nedbd's
    /// master key material: the bytes <c>NEDB_TMK</c> names in hex, or <c>NEDB_TMK_FILE</c>'s
    /// content; several to try). The Quire database is encrypted under
    /// <paramref name="quireMasterKey"/> when one is given. On failure the half-written
    /// database is removed.
    /// </summary>
    /// <exception cref="NedbdFormatException">The nedbd files cannot be read, or the key does not open them.</exception>
    /// <exception cref="DatabaseExistsException">The target already has a database of that name.</exception>
    public static async Task<NedbdMigrationReport> MigrateAsync(
        string sourceDirectory,
        string targetRoot,
        string name,
        IReadOnlyList<byte[]> nedbdMasterKeys,
        MasterKey? quireMasterKey,
        IProgress<NedbdMigrationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var logPath = LogPath(sourceDirectory);
        var keyPath = Path.Combine(sourceDirectory, "key.enc");
        using var cipher = File.Exists(keyPath) ? NedbdCipher.Open(keyPath, nedbdMasterKeys) : null;
        var snapshot = NedbdSnapshot.Read(Path.Combine(sourceDirectory, "snapshot.json"), cipher);
        var indexes = IndexesOf(sourceDirectory, snapshot);
        var clock = new ReplayClock();
        var options = new DatabaseOptions
        {
            Storage = new StorageOptions { MasterKey = quireMasterKey, Durability = Durability.Batch },
            Clock = clock,
            SweepExpired = false,                  // a sweep would take seqs the log's own ops need
            OpLogRetention = long.MaxValue,        // the server's retention applies once it opens the database
            MaxDocumentBytes = 8 * 1024 * 1024,    // nedbd has no limit; keep what it kept
            MaxFileBytes = 64 * 1024 * 1024,
        };
        Directory.CreateDirectory(targetRoot);
        using var catalog = DatabaseCatalog.Open(targetRoot, options);
        var report = new NedbdMigrationReport(name) { Encrypted = cipher is not null };
        var database = catalog.Create(name);
        var completed = false;
        try
        {
            var state = new NedbdState();
            if (logPath is not null)
            {
                var log = new NedbdLog(logPath, cipher);
                var total = new FileInfo(logPath).Length;
                var replay = new NedbdReplay(database, clock, snapshot, state, report);
                foreach (var record in log.Read())
                {
                    await replay.AddAsync(record, cancellationToken).ConfigureAwait(false);
                    if (report.Records % 10_000 == 0)
                    {
                        progress?.Report(new NedbdMigrationProgress(name, log.BytesRead, total, report.Records));
                    }
                }

                await replay.FlushAsync(cancellationToken).ConfigureAwait(false);
                report.NedbdHead = log.Head;
                report.ChainBreakCount = log.ChainBreakCount;
                report.ChainBreaks.AddRange(log.ChainBreaks);
                if (log.StoppedAt is var (line, reason))
                {
                    report.StoppedEarly = $"line {line}: {reason}; {log.LinesNotRead} line(s) after it were not read (nedbd's own replay stops there too)";
                }

                progress?.Report(new NedbdMigrationProgress(name, total, total, report.Records));
            }

            clock.NowMs = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
            await CreateIndexesAsync(database, indexes, report, cancellationToken).ConfigureAwait(false);
            await database.CheckpointAsync().ConfigureAwait(false);
            Check(database, state, clock.NowMs, report);
            completed = true;
            return report;
        }
        finally
        {
            database.Dispose();
            if (!completed)
            {
                catalog.Drop(name);
            }
        }
    }

    /// <summary>The log to read: <c>log.aof</c>, else the <c>log.aof.v1.bak</c> that nedbd v2's own migration renames it to.</summary>
    private static string? LogPath(string directory) =>
        LogFiles.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists);

    private static readonly string[] LogFiles = ["log.aof", "log.aof.v1.bak"];

    /// <summary>The union of <c>meta.json</c>'s indexes and the snapshot's: nedbd can lose either's latest additions.</summary>
    private static List<(string Collection, string Field, string Kind)> IndexesOf(string directory, NedbdSnapshot? snapshot)
    {
        var indexes = new List<(string, string, string)>(snapshot?.Indexes ?? []);
        var metaPath = Path.Combine(directory, "meta.json");
        if (File.Exists(metaPath))
        {
            try
            {
                using var meta = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(metaPath));
                foreach (var index in meta.RootElement.GetProperty("indexes").EnumerateArray())
                {
                    indexes.Add((index[0].GetString()!, index[1].GetString()!, index.GetArrayLength() > 2 ? index[2].GetString()! : "eq"));
                }
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                throw new NedbdFormatException($"{metaPath} is not nedbd's meta.json: {ex.Message}", ex);
            }
        }

        return [.. indexes.Distinct()];
    }

    private static async Task CreateIndexesAsync(Database database, List<(string Collection, string Field, string Kind)> indexes, NedbdMigrationReport report, CancellationToken cancellationToken)
    {
        foreach (var (collection, field, kind) in indexes)
        {
            try
            {
                await database.CreateIndexAsync(collection, field, IndexKinds.Parse(kind), cancellationToken).ConfigureAwait(false);
                report.Indexes.Add($"{collection}.{field} ({kind})");
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidIndexException)
            {
                report.NotCarried.Add(new NotCarried(-1, 0, "index", $"{collection}.{field} ({kind}): {ex.Message}"));
            }
        }

        await database.WhenIndexesReadyAsync().ConfigureAwait(false);
    }

    private static void Check(Database database, NedbdState state, long nowMs, NedbdMigrationReport report)
    {
        var verify = database.Verify();
        if (!verify.Ok)
        {
            report.Mismatch($"Quire's hash chain does not verify at seq {verify.Seq}: {verify.Problem}");
        }

        state.Check(database, nowMs, report);
        report.ExpiredDocuments = state.ExpiredAt(nowMs);
        report.QuireHead = database.Head.Head;
    }
}
