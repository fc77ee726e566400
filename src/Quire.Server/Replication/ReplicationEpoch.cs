using System.Globalization;

namespace Quire.Server.Replication;

/// <summary>
/// This server's replication epoch, kept in <c>&lt;data&gt;/.epoch</c>: 1 at first, one more
/// than the highest seen at each promotion, and a replica takes its primary's when it is
/// higher. A replica never follows a primary of a lower epoch than its own: that primary
/// was replaced, and what it streams is no longer the history.
/// </summary>
internal sealed class ReplicationEpoch
{
    private readonly string _path;
    private readonly Lock _gate = new();
    private long _value;

    public ReplicationEpoch(string dataRoot)
    {
        Directory.CreateDirectory(dataRoot);
        _path = Path.Combine(dataRoot, ".epoch");
        _value = File.Exists(_path) && long.TryParse(File.ReadAllText(_path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var stored) ? stored : 1;
    }

    public long Value => Interlocked.Read(ref _value);

    /// <summary>Takes <paramref name="epoch"/> when it is higher (a replica following a newer primary).</summary>
    public void Adopt(long epoch)
    {
        lock (_gate)
        {
            if (epoch > _value)
            {
                Write(epoch);
            }
        }
    }

    /// <summary>Starts a new epoch (a promotion); returns it.</summary>
    public long Next()
    {
        lock (_gate)
        {
            Write(_value + 1);
            return _value;
        }
    }

    private void Write(long epoch)
    {
        var temporary = _path + ".tmp";
        using (var file = File.Create(temporary))
        {
            file.Write(System.Text.Encoding.ASCII.GetBytes(epoch.ToString(CultureInfo.InvariantCulture)));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
        Interlocked.Exchange(ref _value, epoch);
    }
}
