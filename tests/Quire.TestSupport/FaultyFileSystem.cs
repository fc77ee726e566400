using Quire.Storage.IO;

namespace Quire.TestSupport;

/// <summary>
/// An in-memory file system that behaves like Linux under failure. Writes land in a
/// "page cache" and become durable only on <see cref="IStorageFile.SyncData"/>; directory
/// entries (creates, renames, deletes) become durable only on
/// <see cref="IFileSystem.SyncDirectory"/>. <see cref="PowerLoss"/> throws away what was
/// not made durable, keeping each unsynced sector with probability
/// <see cref="UnsyncedSectorSurvival"/> (torn writes). Rules inject ENOSPC, EIO, failed
/// fsyncs and torn writes; <see cref="ShortReads"/> makes reads return less than asked;
/// <see cref="FlipBit"/> corrupts stored bytes.
/// </summary>
public sealed class FaultyFileSystem : IFileSystem
{
    internal const int SectorSize = 512;

    private readonly object _gate = new();
    private readonly Dictionary<string, FileNode> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal) { "/" };
    private Dictionary<string, FileNode> _durableFiles = new(StringComparer.Ordinal);
    private HashSet<string> _durableDirectories = new(StringComparer.Ordinal) { "/" };
    private readonly HashSet<string> _locks = new(StringComparer.Ordinal);
    private readonly List<FaultRule> _rules = [];
    private readonly Random _random;

    public FaultyFileSystem(int seed = 1)
    {
        _random = new Random(seed);
    }

    /// <summary>The probability that a sector written but not synced survives a power loss. Default 0: all vanish.</summary>
    public double UnsyncedSectorSurvival { get; set; }

    /// <summary>How long each file fsync takes (a slow disk), so tests can look inside the window.</summary>
    public TimeSpan SyncDelay { get; set; }

    /// <summary>When true, reads return a random number of bytes between 1 and what was asked.</summary>
    public bool ShortReads { get; set; }

    /// <summary>When set, the machine goes down after this many more changing operations (the one that hits 0 does not happen).</summary>
    public int? CrashAfterChanges { get; set; }

    /// <summary>True after a simulated crash: every operation fails until <see cref="PowerLoss"/>.</summary>
    public bool IsDown { get; private set; }

    public void AddRule(FaultRule rule)
    {
        lock (_gate)
        {
            _rules.Add(rule);
        }
    }

    public void ClearRules()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    /// <summary>
    /// The machine loses power and restarts: unsynced data and unsynced directory entries
    /// vanish (but for surviving sectors), locks are released, faults are cleared.
    /// </summary>
    public void PowerLoss()
    {
        lock (_gate)
        {
            var nodes = new HashSet<FileNode>(_files.Values);
            nodes.UnionWith(_durableFiles.Values);
            foreach (var node in nodes)
            {
                node.LosePower(_random, UnsyncedSectorSurvival);
            }

            _files.Clear();
            foreach (var (path, node) in _durableFiles)
            {
                _files[path] = node;
            }

            _directories.Clear();
            _directories.UnionWith(_durableDirectories);
            _locks.Clear();
            _rules.Clear();
            CrashAfterChanges = null;
            IsDown = false;
        }
    }

    /// <summary>Flips one bit of a file's stored bytes (in the cache and on "disk").</summary>
    public void FlipBit(string path, long offset, int bit)
    {
        lock (_gate)
        {
            _files[path].FlipBit(offset, bit);
        }
    }

    /// <summary>Overwrites bytes of a file as if on disk (both cache and durable copy), for building corrupt inputs.</summary>
    public void Poke(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            var node = _files[path];
            node.Write(offset, bytes);
            node.Sync();
        }
    }

    public IStorageFile Open(string path, bool create)
    {
        lock (_gate)
        {
            Check(create ? FaultOp.Write : FaultOp.Open, path, changes: create);
            if (create)
            {
                if (_files.ContainsKey(path))
                {
                    throw new IOException($"file exists: '{path}'");
                }

                RequireDirectory(Parent(path));
                var node = new FileNode();
                _files[path] = node;
                return new FaultyFile(this, path, node);
            }

            return _files.TryGetValue(path, out var existing)
                ? new FaultyFile(this, path, existing)
                : throw new FileNotFoundException($"no such file: '{path}'", path);
        }
    }

    public bool FileExists(string path)
    {
        lock (_gate)
        {
            Check(FaultOp.Open, path, changes: false);
            return _files.ContainsKey(path);
        }
    }

    public bool DirectoryExists(string path)
    {
        lock (_gate)
        {
            Check(FaultOp.Open, path, changes: false);
            return _directories.Contains(Normalize(path));
        }
    }

    public void CreateDirectory(string path)
    {
        lock (_gate)
        {
            Check(FaultOp.Write, path, changes: true);
            for (var p = Normalize(path); p != "/"; p = Parent(p))
            {
                _directories.Add(p);
            }
        }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        lock (_gate)
        {
            Check(FaultOp.Open, directory, changes: false);
            RequireDirectory(directory);
            var prefix = Normalize(directory).TrimEnd('/') + "/";
            return _files.Keys
                .Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && p.IndexOf('/', prefix.Length) < 0)
                .Select(p => p[prefix.Length..])
                .ToList();
        }
    }

    public void Delete(string path)
    {
        lock (_gate)
        {
            Check(FaultOp.Delete, path, changes: true);
            _files.Remove(path);
        }
    }

    public void Rename(string from, string to)
    {
        lock (_gate)
        {
            Check(FaultOp.Rename, from, changes: true);
            if (!_files.Remove(from, out var node))
            {
                throw new FileNotFoundException($"no such file: '{from}'", from);
            }

            RequireDirectory(Parent(to));
            _files[to] = node;
        }
    }

    public void SyncDirectory(string directory)
    {
        lock (_gate)
        {
            Check(FaultOp.SyncDirectory, directory, changes: true);
            var dir = Normalize(directory);
            RequireDirectory(dir);
            var durable = _durableFiles.Where(e => Parent(e.Key) != dir).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            foreach (var (path, node) in _files)
            {
                if (Parent(path) == dir)
                {
                    durable[path] = node;
                }
            }

            _durableFiles = durable;
            var durableDirectories = new HashSet<string>(_durableDirectories.Where(d => d == "/" || Parent(d) != dir), StringComparer.Ordinal);
            durableDirectories.UnionWith(_directories.Where(d => d != "/" && Parent(d) == dir));
            _durableDirectories = durableDirectories;
        }
    }

    public IDisposable Lock(string path)
    {
        lock (_gate)
        {
            Check(FaultOp.Open, path, changes: false);
            if (!_locks.Add(path))
            {
                throw new DatabaseLockedException(path);
            }

            return new LockHandle(this, path);
        }
    }

    internal void Read(FileNode node, string path, long offset, Span<byte> buffer, out int read)
    {
        lock (_gate)
        {
            Check(FaultOp.Read, path, changes: false);
            var available = (int)Math.Max(0, Math.Min(buffer.Length, node.Length - offset));
            if (ShortReads && available > 1)
            {
                available = _random.Next(1, available + 1);
            }

            node.Data.AsSpan((int)offset, available).CopyTo(buffer);
            read = available;
        }
    }

    internal void Write(FileNode node, string path, long offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            var rule = Check(FaultOp.Write, path, changes: true, throwRule: false);
            if (rule is not null)
            {
                if (rule.KeepBytes is { } keep)
                {
                    node.Write(offset, data[..Math.Min(keep, data.Length)]);
                }

                FireRule(rule);
            }

            node.Write(offset, data);
        }
    }

    internal void Sync(FileNode node, string path)
    {
        if (SyncDelay > TimeSpan.Zero)
        {
            Thread.Sleep(SyncDelay);
        }

        lock (_gate)
        {
            Check(FaultOp.Sync, path, changes: true);
            node.Sync();
        }
    }

    internal long Length(FileNode node)
    {
        lock (_gate)
        {
            return node.Length;
        }
    }

    private void ReleaseLock(string path)
    {
        lock (_gate)
        {
            _locks.Remove(path);
        }
    }

    private FaultRule? Check(FaultOp op, string path, bool changes, bool throwRule = true)
    {
        if (IsDown)
        {
            throw Faults.MachineDown();
        }

        if (changes)
        {
            if (CrashAfterChanges is { } left)
            {
                if (left <= 0)
                {
                    IsDown = true;
                    throw Faults.MachineDown();
                }

                CrashAfterChanges = left - 1;
            }
        }

        var rule = _rules.FirstOrDefault(r => r.Matches(op, path));
        if (rule is not null && throwRule)
        {
            FireRule(rule);
        }

        return rule;
    }

    private void FireRule(FaultRule rule)
    {
        if (rule.CrashMachine)
        {
            IsDown = true;
        }

        throw rule.Error();
    }

    private void RequireDirectory(string directory)
    {
        if (!_directories.Contains(Normalize(directory)))
        {
            throw new DirectoryNotFoundException($"no such directory: '{directory}'");
        }
    }

    private static string Normalize(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    private static string Parent(string path) => Path.GetDirectoryName(Normalize(path)) is { Length: > 0 } parent ? parent : "/";

    private sealed class LockHandle(FaultyFileSystem fs, string path) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                fs.ReleaseLock(path);
            }
        }
    }
}
