using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Quire.Databases;
using Quire.Server.Service;

namespace Quire.Server.Replication;

/// <summary>
/// A replica's side: every second it lists the primary's databases (its <c>/health</c>),
/// makes a copy of any it lacks (<c>GET .../replication/snapshot</c>; also when the primary's
/// log no longer holds its next seq, or it diverged), and keeps one stream per database open
/// (<c>GET .../replication?after_seq=</c> its own last seq), applying each record as the
/// primary's log holds it (many in flight, in order) and telling the primary the seq it has
/// durable as records are applied (<see cref="AckPump"/>). A broken stream is opened again from the replica's own seq, so a
/// cut, a stall or a restart of either side resumes with no gap and no repeat.
/// </summary>
internal sealed class ReplicaFollower : IDisposable
{
    private const int MaxInFlight = 64;

    private readonly QuireService _service;
    private readonly Uri _primary;
    private readonly string _id;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly HttpClient _h2;
    private int _h2State;               // Unknown, then Speaks or Refused: whether the URL given answers HTTP/2 (h2c, prior knowledge)
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, ReplicaState> _states = new(StringComparer.Ordinal);
    private readonly List<Task> _follows = [];
    private Task? _run;

    private readonly ReplicationEpoch _epoch;
    private readonly Archive.ArchiveBootstrap? _bootstrap;

    public ReplicaFollower(QuireService service, Uri primary, string? token, string id, ReplicationEpoch epoch, ILogger logger, Archive.ArchiveBootstrap? bootstrap = null)
    {
        _bootstrap = bootstrap;
        _epoch = epoch;
        _service = service;
        _primary = primary;
        _id = id;
        _logger = logger;
        _http = NewClient(primary, HttpVersion.Version11, token);
        _h2 = NewClient(primary, HttpVersion.Version20, token);
    }

    /// <summary>Why the primary as a whole is not followed now (a replaced primary), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>The primary's URL.</summary>
    public Uri Primary => _primary;

    /// <summary>The protocol the streams use: HTTP/2 when the URL given answers it (the primary's h2c port), else HTTP/1.1.</summary>
    public string StreamProtocol => Volatile.Read(ref _h2State) == H2Speaks ? "HTTP/2" : "HTTP/1.1";

    private const int H2Unknown = 0;
    private const int H2Speaks = 1;
    private const int H2Refused = 2;

    private HttpClient Streams => Volatile.Read(ref _h2State) == H2Speaks ? _h2 : _http;

    /// <summary>Each followed database's state.</summary>
    public IReadOnlyDictionary<string, ReplicaState> States => _states;

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await LearnWhetherH2Async(stop).ConfigureAwait(false);
                using var health = await Streams.GetFromJsonAsync<JsonDocument>("/health", stop).ConfigureAwait(false);
                if (!AcceptsEpoch(health!.RootElement.TryGetProperty("epoch", out var epoch) && epoch.TryGetInt64(out var value) ? value : 1))
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stop).ConfigureAwait(false);
                    continue;
                }

                foreach (var name in health.RootElement.GetProperty("databases").EnumerateArray().Select(n => n.GetString()!))
                {
                    if (!_states.ContainsKey(name))
                    {
                        var state = new ReplicaState(_service.EnsureReplicaDatabase(name));
                        if (_states.TryAdd(name, state))
                        {
                            lock (_follows)
                            {
                                _follows.Add(FollowAsync(state, stop));
                            }
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or IOException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                _logger.LogWarning("replica: the primary {Primary} did not answer: {Reason}", _primary, ex.Message);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>A client of the primary speaking <paramref name="version"/> only (HTTP/2 cleartext: with prior knowledge).</summary>
    private static HttpClient NewClient(Uri baseAddress, Version version, string? token)
    {
        var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (token is { Length: > 0 })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>
    /// Asks the URL given for <c>/health</c> over HTTP/2 cleartext until it answers one way or
    /// the other: a primary's h2c port does, and then every stream and ack shares one connection;
    /// its HTTP/1.1 port does not, and then HTTP/1.1 it is.
    /// </summary>
    private async Task LearnWhetherH2Async(CancellationToken stop)
    {
        if (Volatile.Read(ref _h2State) != H2Unknown)
        {
            return;
        }

        try
        {
            using var answer = await _h2.GetAsync("/health", stop).ConfigureAwait(false);
            Volatile.Write(ref _h2State, H2Speaks);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError != HttpRequestError.ConnectionError)
        {
            Volatile.Write(ref _h2State, H2Refused);
        }
    }

    private async Task FollowAsync(ReplicaState state, CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (state.NeedsCopy)
                {
                    await CopyAsync(state, stop).ConfigureAwait(false);
                }
                else
                {
                    await StreamAsync(state, stop).ConfigureAwait(false);
                }

                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                state.Error = ex.Message;
                _logger.LogWarning("replica: {Work} of {Database} broke: {Reason}; trying again", state.NeedsCopy ? "the copy" : "the stream", state.Db.Name, ex.Message);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }

            await Task.Delay(backoff, stop).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes the database again from a copy of the primary's (streamed while the primary keeps
    /// writing; the old one serves reads until the copy is whole), then its log is followed
    /// from the copy's seq.
    /// </summary>
    private async Task CopyAsync(ReplicaState state, CancellationToken stop)
    {
        if (_bootstrap is not null && !state.TriedArchive)
        {
            state.TriedArchive = true;
            if (await BootstrapFromArchiveAsync(_bootstrap, state, stop).ConfigureAwait(false))
            {
                return;
            }
        }

        var name = state.Db.Name;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var response = await Streams.GetAsync(
            $"/v1/databases/{Uri.EscapeDataString(name)}/replication/snapshot?replica={_id}", HttpCompletionOption.ResponseHeadersRead, stop).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            state.NeedsCopy = false;   // the primary's database has no op yet: its log from the start is all there is
            return;
        }

        response.EnsureSuccessStatusCode();
        if (!await AcceptsEpochAsync(response, stop).ConfigureAwait(false))
        {
            return;
        }

        await using (var body = await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false))
        {
            state.Db = await _service.ReplaceReplicaDatabaseAsync(name, body, stop).ConfigureAwait(false);
        }

        state.NeedsCopy = false;
        state.Error = null;
        state.Copies++;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation(
                "replica: {Database} made from a copy of the primary's at seq {Seq} ({Bytes} bytes in {Elapsed})",
                name, state.Db.Seq, response.Content.Headers.ContentLength, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// Makes the database from the primary's archive in the bucket; false when the archive has
    /// none of that name (or cannot be read: the primary's copy is the way then).
    /// </summary>
    private async Task<bool> BootstrapFromArchiveAsync(Archive.ArchiveBootstrap bootstrap, ReplicaState state, CancellationToken stop)
    {
        var name = state.Db.Name;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (await bootstrap.RestoreAsync(name, _service, stop).ConfigureAwait(false) is not var (database, restored))
            {
                _logger.LogWarning("replica: the archive at {Archive} has no {Database}; copying it from the primary", bootstrap.Location, name);
                return false;
            }

            state.Db = database;
            state.NeedsCopy = false;
            state.Error = null;
            state.ArchiveBootstraps++;
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation(
                    "replica: {Database} made from the archive at {Archive} at seq {Seq} (a base at seq {BaseSeq} and {Records} records, in {Elapsed}); following the primary from there",
                    name, bootstrap.Location, restored.Seq, restored.BaseSeq, restored.Records, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }

            return true;
        }
        catch (Exception ex) when (ex is Quire.Replication.Archive.ArchiveException or Quire.Replication.ObjectStore.ObjectStoreException or Storage.Format.CorruptDataException or IOException or HttpRequestException)
        {
            _logger.LogWarning("replica: {Database} could not be made from the archive at {Archive} ({Reason}); copying it from the primary", name, bootstrap.Location, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Takes the primary's epoch (from its <c>/health</c>, and again from each stream's header)
    /// unless it is older than this replica's: that primary was replaced, and is not followed.
    /// </summary>
    private bool AcceptsEpoch(long theirs)
    {
        if (theirs < _epoch.Value)
        {
            Error = $"the primary's epoch {theirs} is older than this replica's {_epoch.Value}: it was replaced, and its stream is refused";
            return false;
        }

        _epoch.Adopt(theirs);
        Error = null;
        return true;
    }

    /// <summary><see cref="AcceptsEpoch"/> for a stream's or copy's answer; waits a while when it is refused.</summary>
    private async Task<bool> AcceptsEpochAsync(HttpResponseMessage response, CancellationToken stop)
    {
        var theirs = response.Headers.TryGetValues(ReplicationFrames.EpochHeader, out var values) && long.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var e) ? e : 1;
        if (!AcceptsEpoch(theirs))
        {
            await Task.Delay(TimeSpan.FromSeconds(5), stop).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private async Task StreamAsync(ReplicaState state, CancellationToken stop)
    {
        var db = state.Db;
        var (seq, head) = db.Head;
        var url = $"/v1/databases/{Uri.EscapeDataString(db.Name)}/replication?after_seq={seq}&replica={_id}&head={head}";
        using var response = await Streams.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stop).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var (path, fork, count) = await DivergedOps.KeepAsideAsync(_http, db, stop).ConfigureAwait(false);
            state.Diverged = $"diverged from the primary after seq {fork}: its {count} ops since are kept in {path}";
            state.Error = $"{state.Diverged}; the database is made again from a copy of the primary's";
            state.NeedsCopy = true;
            _logger.LogError("replica: {Database} {Error}", db.Name, state.Error);
            return;
        }

        if (response.StatusCode == HttpStatusCode.Gone)
        {
            state.Error = $"the primary's log no longer holds seq {db.Seq + 1}: the database is made again from a copy of the primary's";
            state.NeedsCopy = true;
            _logger.LogWarning("replica: {Database}: {Error}", db.Name, state.Error);
            return;
        }

        response.EnsureSuccessStatusCode();
        if (!await AcceptsEpochAsync(response, stop).ConfigureAwait(false))
        {
            return;
        }

        state.Error = null;
        await using var stream = await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false);
        var inFlight = new Queue<Task>();
        var acks = new AckPump(() => AckAsync(db, stop));
        try
        {
            while (await ReplicationFrames.ReadAsync(stream, stop).ConfigureAwait(false) is { } frame)
            {
                if (frame.Kind == ReplicationFrames.Record)
                {
                    var applied = db.ApplyReplicatedAsync(frame.Record, stop);
                    _ = applied.ContinueWith(static (_, pump) => ((AckPump)pump!).Signal(), acks, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                    inFlight.Enqueue(applied);
                    state.Received(frame.Record.LastSeq);
                    while (inFlight.Count > MaxInFlight || (inFlight.Count > 0 && inFlight.Peek().IsCompleted))
                    {
                        await inFlight.Dequeue().ConfigureAwait(false);
                    }
                }
                else
                {
                    state.Heartbeat(frame.PrimarySeq);
                }
            }
        }
        finally
        {
            while (inFlight.TryDequeue(out var pending))
            {
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Reported by the first failure; the stream starts again from the replica's seq.
                }
            }

            await AckAsync(db, stop).ConfigureAwait(false);
        }
    }

    private async Task AckAsync(Database db, CancellationToken stop)
    {
        try
        {
            using var ack = await Streams.PostAsJsonAsync($"/v1/databases/{Uri.EscapeDataString(db.Name)}/replication/ack", new { replica = _id, seq = db.Seq }, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            // The next ack says it again.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _run?.Wait(TimeSpan.FromSeconds(5));
            lock (_follows)
            {
                Task.WaitAll([.. _follows], TimeSpan.FromSeconds(10));   // every stream closed, every record in flight applied
            }
        }
        catch (AggregateException)
        {
            // Stopping.
        }

        _http.Dispose();
        _h2.Dispose();
        _stop.Dispose();
    }
}
