using Quire.Databases;
using Quire.Replication.ObjectStore;

namespace Quire.Replication.Archive;

/// <summary>
/// Makes a database again from its archive, as of its last archived seq, a chosen seq, or a
/// time: the newest base copy at or before that point, then the archived log after it
/// (fetched in parallel, applied in order, record by record, up to the point), then the hash
/// chain verified.
/// </summary>
public static class ArchiveRestore
{
    private const int ParallelFetches = 8;

    /// <summary>The databases archived under <paramref name="prefix"/>: the folders holding a manifest.</summary>
    public static async Task<IReadOnlyList<string>> DatabasesAsync(IObjectStore store, string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var root = prefix.Length == 0 ? "" : prefix + "/";
        var names = new List<string>();
        await foreach (var key in store.ListAsync(root, cancellationToken).ConfigureAwait(false))
        {
            var rest = key[root.Length..];
            if (rest.EndsWith("/manifest.json", StringComparison.Ordinal) && rest.IndexOf('/', StringComparison.Ordinal) == rest.Length - "/manifest.json".Length)
            {
                names.Add(rest[..^"/manifest.json".Length]);
            }
        }

        return names;
    }

    /// <summary>
    /// Restores the database archived at <paramref name="archive"/> (its folder) as
    /// <paramref name="name"/> under <paramref name="targetRoot"/>, which must not hold one of
    /// that name: as of <paramref name="seq"/> (the last record ending at or before it), or as
    /// archived by <paramref name="time"/>, or its last archived seq.
    /// </summary>
    /// <exception cref="ArchiveException">There is no archive there, or it holds nothing at or before the point asked for.</exception>
    /// <exception cref="Storage.Format.CorruptDataException">An object is damaged, or the restored chain does not verify.</exception>
    public static async Task<RestoreResult> RestoreAsync(
        IObjectStore store, string archive, string targetRoot, string name, DatabaseOptions options, long? seq = null, DateTimeOffset? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var current = await store.GetAsync($"{archive}/manifest.json", cancellationToken).ConfigureAwait(false)
            ?? throw new ArchiveException($"no archive at {archive} (no manifest.json)");
        var plan = await PlanAsync(store, archive, ArchiveManifest.Parse(current.Data), seq, time, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(targetRoot);
        using var catalog = DatabaseCatalog.Open(targetRoot, options with { ReplicaOf = $"archive {archive}" });   // takes log records as a replica does
        if (catalog.Exists(name))
        {
            throw new DatabaseExistsException(name);
        }

        Database database;
        await using (var baseCopy = await OpenBaseAsync(store, archive, plan, cancellationToken).ConfigureAwait(false))
        {
            database = await catalog.ReplaceFromCopyAsync(name, baseCopy, Packs(store, archive, plan), cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await ApplyAsync(store, archive, database, plan, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            catalog.Drop(name);   // never leave a database that is only part of what was asked for
            throw;
        }
    }

    /// <summary>
    /// Makes a replica's database from the archive at <paramref name="archive"/> as of its last
    /// archived seq, so that it follows its primary from there instead of copying the primary's
    /// whole database: <paramref name="replace"/> makes the database (a replica's, which takes
    /// log records) from the base copy's stream, then the archived log after it is applied.
    /// Null when there is no archive there. A failure midway leaves the database at a seq of
    /// the primary's history, from which its log can be followed.
    /// </summary>
    /// <exception cref="ArchiveException">The archive holds no base copy, or lists an object that is missing.</exception>
    public static async Task<RestoreResult?> RestoreReplicaAsync(
        IObjectStore store, string archive, Func<Stream, IReadOnlyList<Func<CancellationToken, Task<Stream>>>, CancellationToken, Task<Database>> replace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(replace);
        if (await store.GetAsync($"{archive}/manifest.json", cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return null;
        }

        var plan = await PlanAsync(store, archive, ArchiveManifest.Parse(current.Data), null, null, cancellationToken).ConfigureAwait(false);
        Database database;
        await using (var baseCopy = await OpenBaseAsync(store, archive, plan, cancellationToken).ConfigureAwait(false))
        {
            database = await replace(baseCopy, Packs(store, archive, plan), cancellationToken).ConfigureAwait(false);
        }

        return await ApplyAsync(store, archive, database, plan, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole copy a restore to the point starts from, the packs on it, the stretches archived by the time asked, and the seq it stops at.</summary>
    private static async Task<RestorePlan> PlanAsync(IObjectStore store, string archive, ArchiveManifest manifest, long? seq, DateTimeOffset? time, CancellationToken cancellationToken)
    {
        var byTime = time?.ToUnixTimeMilliseconds() ?? long.MaxValue;
        var stretches = (await AllStretchesAsync(store, archive, manifest, cancellationToken).ConfigureAwait(false)).Where(s => s.AtMs <= byTime).ToList();
        var bases = manifest.Bases.Where(b => b.AtMs <= byTime).ToList();
        var reachable = Math.Max(stretches.Count > 0 ? stretches[^1].Last : -1, bases.Count > 0 ? bases[^1].Seq : -1);
        var target = Math.Min(seq ?? long.MaxValue, reachable);
        var image = bases.FindLastIndex(b => b.Seq <= target);
        var whole = image < 0 ? -1 : bases.FindLastIndex(image, b => !b.Pack);   // a pack goes on the whole copy before it and the packs between
        if (image < 0 || whole < 0)
        {
            throw new ArchiveException($"the archive at {archive} holds no base copy at or before {(seq is { } s ? $"seq {s}" : time is { } t ? $"{t:O}" : "its end")}");
        }

        var start = bases[image];
        return new RestorePlan(bases[whole], [.. bases.Skip(whole + 1).Take(image - whole)], [.. stretches.Where(s => s.Last > start.Seq && s.First <= target)], target);
    }

    /// <summary>The base copy as it streams in from the store (a base may be larger than memory).</summary>
    private static async Task<Stream> OpenBaseAsync(IObjectStore store, string archive, RestorePlan plan, CancellationToken cancellationToken) =>
        await store.OpenReadAsync(plan.Base.Key, cancellationToken).ConfigureAwait(false) ?? throw Missing(archive, plan.Base.Key);

    /// <summary>The page packs to apply after the base copy, each opened (streamed) when its turn comes.</summary>
    private static Func<CancellationToken, Task<Stream>>[] Packs(IObjectStore store, string archive, RestorePlan plan) =>
        [.. plan.Packs.Select(pack => (Func<CancellationToken, Task<Stream>>)(async c =>
            await store.OpenReadAsync(pack.Key, c).ConfigureAwait(false) ?? throw Missing(archive, pack.Key)))];

    /// <summary>What a restore applies: the whole copy it starts from, the packs on it, the stretches after the last, and the seq it stops at.</summary>
    private sealed record RestorePlan(ArchivedBase Base, IReadOnlyList<ArchivedBase> Packs, IReadOnlyList<ArchivedStretch> Stretches, long Target)
    {
        /// <summary>The image the log goes on from: the last pack, or the copy.</summary>
        public ArchivedBase Image => Packs.Count > 0 ? Packs[^1] : Base;
    }

    private static ArchiveException Missing(string archive, string key) => new($"the archive at {archive} lists {key}, which is missing");

    /// <summary>Every archived stretch: those the history objects list, then the manifest's own.</summary>
    private static async Task<List<ArchivedStretch>> AllStretchesAsync(IObjectStore store, string archive, ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        var histories = await Task.WhenAll(manifest.History.Select(async history =>
        {
            var data = await store.GetAsync(history.Key, cancellationToken).ConfigureAwait(false) ?? throw Missing(archive, history.Key);
            return ArchiveManifest.ParseStretches(data.Data);
        })).ConfigureAwait(false);
        return [.. histories.SelectMany(h => h), .. manifest.Log];
    }

    private static async Task<RestoreResult> ApplyAsync(IObjectStore store, string archive, Database database, RestorePlan plan, CancellationToken cancellationToken)
    {
        var (start, target) = (plan.Image, plan.Target);
        using var gate = new SemaphoreSlim(ParallelFetches);
        var fetches = plan.Stretches.Select(async stretch =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var data = await store.GetAsync(stretch.Key, cancellationToken).ConfigureAwait(false) ?? throw Missing(archive, stretch.Key);
                var name = stretch.Key[(archive.Length + 1)..];   // what the archiver sealed it under
                return ArchivedRecords.Read(data.Data, name, (sealedBytes, context) => database.OpenExternal(sealedBytes, context));
            }
            finally
            {
                gate.Release();
            }
        }).ToList();

        var applied = 0L;
        foreach (var fetch in fetches)
        {
            foreach (var record in await fetch.ConfigureAwait(false))
            {
                if (record.LastSeq <= database.Head.Seq)
                {
                    continue;   // the base holds it
                }

                if (record.LastSeq > target)
                {
                    break;
                }

                await database.ApplyReplicatedAsync(record, cancellationToken).ConfigureAwait(false);
                applied++;
            }
        }

        await database.CheckpointAsync().ConfigureAwait(false);
        var verify = database.Verify();
        if (!verify.Ok)
        {
            throw new Storage.Format.CorruptDataException($"the restored hash chain does not verify at seq {verify.Seq}: {verify.Problem}", archive, 0);
        }

        var (last, head) = database.Head;
        return new RestoreResult(database.Name, last, head, start.Seq, applied, database.IsEncrypted);
    }
}

/// <summary>What a restore made.</summary>
/// <param name="Database">The database's name.</param>
/// <param name="Seq">Its last seq.</param>
/// <param name="Head">Its chain head as of that seq.</param>
/// <param name="BaseSeq">The seq of the base copy it started from.</param>
/// <param name="Records">Log records applied after the base.</param>
/// <param name="Encrypted">Whether it is encrypted (it opens with the master key it was archived under).</param>
public sealed record RestoreResult(string Database, long Seq, string Head, long BaseSeq, long Records, bool Encrypted);

/// <summary>An archive is missing, or holds nothing at the point asked for.</summary>
public sealed class ArchiveException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public ArchiveException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> and its cause.</summary>
    public ArchiveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with no message.</summary>
    public ArchiveException()
    {
    }
}
