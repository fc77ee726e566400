// The `quire` command. Until the server lands (`quire serve`), it runs a demo of the
// embedded engine: it opens the database in ./data (or the directory given), commits
// durable batches from many concurrent writers, and reads them back.
using System.Diagnostics;
using System.Text;
using Quire.Storage.Engine;

var directory = args.Length > 0 ? args[0] : "data";
using var engine = StorageEngine.Open(directory);
Console.WriteLine(
    $"opened '{Path.GetFullPath(directory)}' in {engine.OpenTime.TotalMilliseconds:F1} ms: checkpoint covers seq {engine.CheckpointedSeq}, "
    + $"{engine.LastSeq - engine.CheckpointedSeq} ops replayed; {engine.Recovery}");

const int Writers = 64;
const int CommitsPerWriter = 200;
var started = Stopwatch.GetTimestamp();
var run = DateTime.UtcNow.Ticks;
await Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
{
    for (var i = 0; i < CommitsPerWriter; i++)
    {
        using var batch = new WriteBatch();
        batch.Put(Encoding.UTF8.GetBytes($"demo/{run}/{w}/{i}"), Encoding.UTF8.GetBytes($"{{\"writer\":{w},\"n\":{i}}}"));
        await engine.CommitAsync(batch);
    }
}));
var elapsed = Stopwatch.GetElapsedTime(started);
var commits = Writers * CommitsPerWriter;
Console.WriteLine(
    $"{commits} durable commits from {Writers} writers in {elapsed.TotalMilliseconds:F0} ms " +
    $"({commits / elapsed.TotalSeconds:F0}/s, {engine.Stats.Syncs} fsyncs, mean group {(double)engine.Stats.Commits / Math.Max(1, engine.Stats.Groups):F1})");

var readBack = engine.Get(Encoding.UTF8.GetBytes($"demo/{run}/7/42"));
Console.WriteLine($"read back demo/.../7/42 = {(readBack is null ? "<missing>" : Encoding.UTF8.GetString(readBack))}; last seq {engine.LastSeq}");
return readBack is null ? 1 : 0;
