// A writer for the crash test: commits batches durably from many tasks and prints
// "ACK <run> <id> <ops> <first-seq> <last-seq>" after each acknowledged commit, until
// it is killed. Usage: Quire.Storage.CrashChild <directory> <run> <segment-bytes>
using System.Globalization;
using System.Text;
using Quire.Storage.Engine;
using Quire.Storage.Log;

var directory = args[0];
var run = int.Parse(args[1], CultureInfo.InvariantCulture);
var segmentSize = long.Parse(args[2], CultureInfo.InvariantCulture);
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };

// The test holds our stdin open; if it dies without killing us, stdin closes and we stop.
_ = Task.Run(() =>
{
    Console.OpenStandardInput().CopyTo(Stream.Null);
    Environment.Exit(3);
});
var outputLock = new object();

// Checkpoints every segment's worth of log and every 100 ms, so the kills land in them too.
using var engine = StorageEngine.Open(directory, new StorageOptions
{
    Log = new LogOptions { SegmentSize = segmentSize },
    CheckpointLogBytes = segmentSize,
    CheckpointInterval = TimeSpan.FromMilliseconds(100),
});
lock (outputLock)
{
    output.WriteLine($"OPEN {engine.LastSeq}");
}

var next = 0;
var writers = Enumerable.Range(0, 16).Select(async writer =>
{
    var random = new Random(run * 1000 + writer);
    using var batch = new WriteBatch();
    while (true)
    {
        var id = Interlocked.Increment(ref next);
        var ops = random.Next(1, 5);
        batch.Clear();
        for (var j = 0; j < ops; j++)
        {
            var value = Encoding.UTF8.GetBytes($"{run}/{id}/{ops}/" + new string('x', random.Next(0, 300)));
            batch.Put(Encoding.UTF8.GetBytes($"b/{run}/{id}/{j}"), value);
        }

        // A key many batches overwrite, so versions move under concurrency.
        batch.Put(Encoding.UTF8.GetBytes($"shared/{id % 8}"), Encoding.UTF8.GetBytes($"{run}/{id}"));
        var result = await engine.CommitAsync(batch);
        lock (outputLock)
        {
            output.WriteLine($"ACK {run} {id} {ops} {result.FirstSeq} {result.LastSeq}");
        }
    }
}).ToArray();

await Task.WhenAll(writers);
