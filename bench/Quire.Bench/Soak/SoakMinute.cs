namespace Quire.Bench.Soak;

/// <summary>What one minute of the soak saw: operations, latencies, errors, and the server's memory and GC at its end.</summary>
public sealed record SoakMinute(int Minute, long Puts, long Batches, long Queries, double PutP50Ms, double PutP99Ms, double QueryP99Ms, long UnexpectedErrors, long ErrorsAroundKills, double RssMb, double GcPauseMs, int Kills);
