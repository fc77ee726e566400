using System.Diagnostics;
using Quire.Storage.Format;
using Quire.Storage.Log;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Writes checkpoints on its own thread while writers keep committing: takes the
/// published root (once the log holds it durably), writes its nodes and blobs that
/// have no address yet bottom-up (a node with an address has none below it without),
/// fsyncs, then writes the superblock; only then are the new addresses final and the
/// log segments below the covered seq recycled. Triggered by log bytes, by dirty
/// pages, by time, or on demand. ENOSPC leaves the nodes dirty for the next attempt;
/// any other write or fsync failure turns the engine read-only, since the kernel may
/// have dropped the pages a later fsync would claim. Between checkpoints the thread
/// runs the engine's upkeep (eviction, snapshot caps) every few milliseconds.
/// </summary>
internal sealed class Checkpointer : IDisposable
{
    private const int PollMilliseconds = 50;

    private readonly object _gate = new();
    private readonly Lock _holdGate = new();             // held by a checkpoint from choosing pages to recycling the log
    private readonly List<DurableHold> _holds = [];
    private readonly DataFile _file;
    private readonly TreeState _state;
    private readonly WriteAheadLog _log;
    private readonly StorageOptions _options;
    private readonly EngineStats _stats;
    private readonly Action<Exception> _fail;
    private readonly Func<Exception?> _engineFailure;
    private readonly Action _maintenance;
    private readonly FreeSpace _space;
    private readonly PageRunWriter _writer;
    private readonly Thread _thread;
    private readonly List<Node> _writtenNodes = [];
    private readonly List<Blob> _writtenBlobs = [];
    private TaskCompletionSource<CheckpointResult?>? _requested;
    private long _durableGeneration = -1; // the durable root's: everything opened from disk counts as older than generation 0
    private long _logBytesAtLast;
    private long _lastTicks = Stopwatch.GetTimestamp();
    private bool _stopping;

    public Checkpointer(
        DataFile file, FreeSpace space, TreeState state, WriteAheadLog log, StorageOptions options, EngineStats stats,
        Action<Exception> fail, Func<Exception?> engineFailure, Action maintenance)
    {
        _maintenance = maintenance;
        _engineFailure = engineFailure;
        _file = file;
        _state = state;
        _log = log;
        _options = options;
        _stats = stats;
        _fail = fail;
        _space = space;
        _writer = new PageRunWriter(file, file.Identity.PageSize);
        _logBytesAtLast = log.RecordBytesWritten;
        _thread = new Thread(Run) { IsBackground = true, Name = "quire-checkpointer" };
        _thread.Start();
    }

    /// <summary>The lowest seq the log must keep for its readers (replicas), or null: none.</summary>
    public Func<long>? LogFloor { get; set; }

    /// <summary>
    /// Keeps the durable checkpoint as it is on disk until the hold is disposed (a copy of it
    /// is being read): no page it references is written again, its free list is not
    /// replaced, and the log after the seq it covers is kept. Waits for a checkpoint under way.
    /// </summary>
    public DurableHold HoldDurable()
    {
        lock (_holdGate)
        {
            var hold = new DurableHold(this, _file.Superblock, _durableGeneration);
            _holds.Add(hold);
            return hold;
        }
    }

    /// <summary>The last seq the durable superblock covers.</summary>
    public long CoveredSeq => _file.Superblock.CoveredSeq;

    /// <summary>Whether checkpoints say the tree holds every past version since its floor: set once the engine's floor is in place.</summary>
    public bool KeepsHistory
    {
        get => Volatile.Read(ref _keepsHistory);
        set => Volatile.Write(ref _keepsHistory, value);
    }

    private bool _keepsHistory;

    /// <summary>Log bytes written since the last checkpoint.</summary>
    public long LogBytesSinceCheckpoint => _log.RecordBytesWritten - Interlocked.Read(ref _logBytesAtLast);

    /// <summary>Runs a checkpoint of everything published now; completes with what it wrote (null when nothing changed).</summary>
    public Task<CheckpointResult?> CheckpointAsync()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, typeof(StorageEngine));
            _requested ??= new TaskCompletionSource<CheckpointResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
            Monitor.Pulse(_gate);
            return _requested.Task;
        }
    }

    /// <summary>Stops the thread after a last checkpoint, so the next open replays nothing.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _thread.Join();
        _writer.Dispose();
    }

    private void Run()
    {
        while (true)
        {
            TaskCompletionSource<CheckpointResult?>? requested;
            bool stopping;
            lock (_gate)
            {
                if (!_stopping && _requested is null && !Due())
                {
                    Monitor.Wait(_gate, PollMilliseconds);
                }

                requested = _requested;
                _requested = null;
                stopping = _stopping;
            }

            if (requested is not null || stopping || Due())
            {
                try
                {
                    var result = Checkpoint();
                    requested?.TrySetResult(result);
                }
                catch (Exception ex)
                {
                    // Out of space: the next trigger retries. Anything else turned the engine read-only.
                    requested?.TrySetException(ex);
                }
            }

            if (stopping)
            {
                return;
            }

            try
            {
                _maintenance();
            }
            catch (Exception ex) when (_engineFailure() is null)
            {
                // A fault here must not take the host process down: the engine stops
                // accepting commits and says why.
                Fail(ex);
            }
        }
    }

    private bool Due() =>
        _engineFailure() is null && _state.PublishedSeq > CoveredSeq
        && (LogBytesSinceCheckpoint >= _options.CheckpointLogBytes
            || _state.DirtyPages * (long)_file.Identity.PageSize >= _options.CheckpointDirtyBytes
            || Stopwatch.GetElapsedTime(_lastTicks) >= _options.CheckpointInterval);

    private CheckpointResult? Checkpoint()
    {
        if (_engineFailure() is { } failure)
        {
            throw failure;
        }

        var root = _state.PinPublished();
        try
        {
            if (root.Seq <= CoveredSeq)
            {
                return null;
            }

            using var activity = EngineMeter.Activities.StartActivity("checkpoint");
            activity?.SetTag("db", _stats.Tag.Value).SetTag("quire.seq", root.Seq);
            var started = Stopwatch.GetTimestamp();
            var logBytes = _log.RecordBytesWritten;
            WaitUntilDurable(root.Seq);
            using var holding = _holdGate.EnterScope();
            var (held, heldFloor) = HeldGeneration();
            _space.Begin(Math.Min(_durableGeneration, held), Math.Min(root.Generation, held));
            var bytesBefore = _file.BytesWritten;
            (long Head, int Pages) freeList;
            try
            {
                WriteDirty(root.Node);
                _writer.Flush();
                freeList = _space.WriteList(_file, keepChain: heldFloor != long.MaxValue);
                _file.Sync();
            }
            catch (IOException ex) when (IsNoSpace(ex))
            {
                // Nothing durable changed: the nodes stay dirty and the next attempt writes them.
                Abandon();
                _stats.CheckpointsOutOfSpace++;
                throw;
            }
            catch (Exception ex)
            {
                Abandon();
                throw Fail(ex);
            }

            var previous = _file.Superblock;
            var superblock = new Superblock(
                previous.Checkpoint + 1, root.Seq, root.Node.Address, root.Depth, root.Count, _space.PageCount, freeList.Head, freeList.Pages, root.ChainHead,
                KeepsHistory);
            try
            {
                _file.WriteSuperblock(superblock);
            }
            catch (Exception ex)
            {
                Abandon();
                throw Fail(ex);
            }

            foreach (var node in _writtenNodes)
            {
                node.AddressIsFinal = true;
            }

            _space.Commit();
            _durableGeneration = root.Generation;

            var pages = _writtenNodes.Count + _writtenBlobs.Sum(b => (long)_file.BlobPages(b.Bytes.Length)) + _space.ListPagesWritten;
            var result = new CheckpointResult(superblock.Checkpoint, root.Seq, pages, _file.BytesWritten - bytesBefore, Stopwatch.GetElapsedTime(started));
            _writtenNodes.Clear();
            _writtenBlobs.Clear();
            Interlocked.Exchange(ref _logBytesAtLast, logBytes);
            _lastTicks = Stopwatch.GetTimestamp();
            _log.RecycleBelow(Math.Min(Math.Min(root.Seq + 1, heldFloor), LogFloor?.Invoke() ?? long.MaxValue));   // a replica may still need older records
            _stats.RecordCheckpoint(result);
            activity?.SetTag("quire.checkpoint", result.Checkpoint).SetTag("quire.pages", result.Pages).SetTag("quire.bytes", result.Bytes);
            return result;
        }
        finally
        {
            root.Unpin();
        }
    }

    /// <summary>The oldest held checkpoint's generation and the first seq after it (no hold: the largest values).</summary>
    private (long Generation, long LogFloor) HeldGeneration()
    {
        var (generation, floor) = (long.MaxValue, long.MaxValue);
        foreach (var hold in _holds)
        {
            generation = Math.Min(generation, hold.Generation);
            floor = Math.Min(floor, hold.Superblock.CoveredSeq + 1);
        }

        return (generation, floor);
    }

    private void Release(DurableHold hold)
    {
        lock (_holdGate)
        {
            _holds.Remove(hold);
        }
    }

    /// <summary>A hold on the durable checkpoint (<see cref="HoldDurable"/>).</summary>
    internal sealed class DurableHold(Checkpointer owner, Superblock superblock, long generation) : IDisposable
    {
        /// <summary>The held checkpoint's superblock.</summary>
        public Superblock Superblock { get; } = superblock;

        /// <summary>The generation of its root: pages retired by later roots stay unwritten.</summary>
        public long Generation { get; } = generation;

        public void Dispose() => owner.Release(this);
    }

    /// <summary>A checkpoint covers only what the log holds durably (in batch and async modes the fsync may lag).</summary>
    private void WaitUntilDurable(long seq)
    {
        while (_log.DurableSeq <= seq)
        {
            if (_engineFailure() is { } failure)
            {
                throw failure; // what is not durable now never will be
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>Writes a node and, first, everything below it without an address; returns its address.</summary>
    private long WriteDirty(Node node)
    {
        var address = node.Address;
        if (address != 0)
        {
            return address;
        }

        if (!node.IsLeaf)
        {
            var children = node.Children!;
            for (var i = 0; i <= node.Count; i++)
            {
                if (Volatile.Read(ref children[i]) is { } child)
                {
                    WriteDirty(child);
                }
            }
        }

        // The address first: the image is built where it will be written from.
        address = _space.AllocatePage();
        var image = _writer.Next(address);
        node.Page.CopyTo(image);
        if (node.IsLeaf)
        {
            WriteBlobs(node, image);
        }
        else
        {
            // A child not in memory is stored: the evictor put its address in the page
            // before dropping the reference, so read it only after seeing the reference gone.
            var children = node.Children!;
            for (var i = 0; i <= node.Count; i++)
            {
                var childAddress = Volatile.Read(ref children[i]) is { } child ? child.Address : PageLayout.ChildAddress(node.Page, i);
                PageLayout.SetChildAddress(image, i, childAddress);
            }
        }

        _file.FinishPage(image, address);
        node.Address = address;
        _writtenNodes.Add(node);
        _state.Written(node);
        return address;
    }

    /// <summary>Writes the leaf's blobs that have no address yet, and puts every in-memory blob's address into the page image.</summary>
    private void WriteBlobs(Node leaf, Span<byte> image)
    {
        if (leaf.Blobs is not { } blobs)
        {
            return;
        }

        for (var slot = 0; slot < PageLayout.Count(image); slot++)
        {
            var cell = PageLayout.ReadLeafCell(image, slot);
            if (!cell.IsOverflow)
            {
                continue;
            }

            var blobSlot = PageLayout.BlobSlot(image, cell.ValueOffset);
            if (blobSlot >= blobs.Length || blobs[blobSlot] is not { } blob)
            {
                continue; // only on disk: its address is in the page
            }

            if (blob.Address == 0)
            {
                var address = _space.AllocateRun(_file.BlobPages(blob.Bytes.Length));
                _file.WriteBlob(address, blob.Bytes);
                blob.Address = address;
                _writtenBlobs.Add(blob);
            }

            PageLayout.WriteOverflowPayload(image[cell.ValueOffset..], blob.Address, blobSlot);
        }
    }

    /// <summary>Forgets the provisional addresses of a failed attempt and the pages it took.</summary>
    private void Abandon()
    {
        _writer.Discard();
        foreach (var node in _writtenNodes)
        {
            node.Address = 0;
            _state.Unwritten(node);
        }

        foreach (var blob in _writtenBlobs)
        {
            blob.Address = 0;
        }

        _writtenNodes.Clear();
        _writtenBlobs.Clear();
        _space.Abandon();
    }

    private StorageFailedException Fail(Exception cause)
    {
        var failure = cause as StorageFailedException ?? new StorageFailedException(cause);
        _fail(failure);
        return failure;
    }

    private static bool IsNoSpace(IOException ex) => ex.HResult is 28 or 0x70 or unchecked((int)0x80070070);
}
