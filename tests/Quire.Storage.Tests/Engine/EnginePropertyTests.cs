using CsCheck;
using Quire.Storage.Engine;
using Quire.TestSupport;

namespace Quire.Storage.Tests.Engine;

/// <summary>
/// Random batches (puts, deletes, preconditions), fired in concurrent bursts so they
/// share groups, against the plain model, through the fault-injecting file system with
/// machine crashes at random moments, power losses that keep random unsynced sectors,
/// checkpoints racing the bursts (and the crashes), evictions (half the scenarios run
/// on a budget of four pages), and reopens. After every power loss the engine must hold exactly the model's state
/// after some prefix of the commits, never less than every acknowledged sync commit:
/// nothing acknowledged is lost and no batch is partly visible.
/// </summary>
public class EnginePropertyTests
{
    private static readonly string[] KeySpace = Enumerable.Range(0, 200).Select(i => $"k{i}").ToArray();

    [Fact]
    public void Random_batches_match_the_model_through_crashes_power_losses_and_reopens() =>
        Gen.Int[0, int.MaxValue].Sample(seed => RunScenario(seed, Durability.Sync).GetAwaiter().GetResult(), iter: Iterations(40), threads: 1);

    [Fact]
    public void Weaker_durability_modes_recover_a_prefix_of_the_commits() =>
        Gen.Int[0, int.MaxValue].Sample(seed => RunScenario(seed, seed % 2 == 0 ? Durability.Batch : Durability.Async).GetAwaiter().GetResult(), iter: Iterations(20), threads: 1);

    private static long Iterations(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("QUIRE_PROPERTY_ITERATIONS"), out var n) ? n : ci;

    private static async Task RunScenario(int seed, Durability durability)
    {
        var random = new Random(seed);
        var fs = new FaultyFileSystem(seed);
        var segmentSize = random.Next(2) == 0 ? 64 * 1024 : 256 * 1024;

        // Half the scenarios run on a memory budget of four pages: every node a checkpoint
        // made durable is evicted soon after, and read back from disk by the next reader.
        var options = EngineFixture.Options(fs, durability, segmentSize) with
        {
            MemoryBudget = random.Next(2) == 0 ? 4 * 8192 : 1L << 30,
            KeepHistory = random.Next(2) == 0,   // and half keep past versions, checked as of earlier seqs
        };
        var engine = StorageEngine.Open(EngineFixture.Directory, options);
        var model = EngineModel.Empty;
        var durable = model; // the newest state known to be on disk
        var history = new List<EngineModel> { model };
        try
        {
            for (var round = 0; round < 25; round++)
            {
                var action = random.Next(10);
                if (action == 0)
                {
                    engine.Dispose();
                    engine = StorageEngine.Open(EngineFixture.Directory, options);
                    durable = model;
                    history = [model];
                    model.AssertMatches(engine, KeySpace, $"seed {seed} round {round} after reopen");
                    continue;
                }

                var crash = action <= 2;
                if (crash)
                {
                    fs.CrashAfterChanges = random.Next(0, 12);
                    fs.UnsyncedSectorSurvival = random.Next(3) * 0.5;
                }

                var checkpoint = random.Next(3) == 0 ? engine.CheckpointAsync() : null;
                var (acknowledged, next) = await RunBurst(engine, random, model, history, crash, seed, round);
                model = next;
                await Checkpointed(checkpoint, crash, seed, round);
                if (durability == Durability.Sync)
                {
                    durable = acknowledged;
                }

                if (!crash)
                {
                    model.AssertMatches(engine, KeySpace, $"seed {seed} round {round}");
                    if (engine.HistoryFloor is { } floor && history.Where(m => m.NextSeq - 1 >= floor).ToList() is { Count: > 0 } past)
                    {
                        var then = past[random.Next(past.Count)];
                        using var view = engine.OpenSnapshot(then.NextSeq - 1);
                        then.AssertMatches(view, KeySpace, $"seed {seed} round {round} as of seq {then.NextSeq - 1}");
                    }

                    continue;
                }

                engine.Dispose();
                fs.PowerLoss();
                engine = StorageEngine.Open(EngineFixture.Directory, options);

                // The recovered state is one of the states the commits passed through, at or after the durable one.
                var recovered = history.FindLast(m => m.NextSeq == engine.LastSeq + 1);
                Assert.True(recovered is not null, $"seed {seed} round {round}: recovered seq {engine.LastSeq} is no commit boundary");
                Assert.True(recovered.NextSeq >= durable.NextSeq, $"seed {seed} round {round}: acknowledged seq {durable.NextSeq - 1} lost, recovered {engine.LastSeq}");
                recovered.AssertMatches(engine, KeySpace, $"seed {seed} round {round} after power loss");
                model = durable = recovered;
                history = [model];
            }
        }
        finally
        {
            engine.Dispose();
        }
    }

    /// <summary>Waits for a checkpoint that raced a burst; only a crash may fail it.</summary>
    private static async Task Checkpointed(Task<CheckpointResult?>? checkpoint, bool crash, int seed, int round)
    {
        if (checkpoint is null)
        {
            return;
        }

        try
        {
            await checkpoint;
        }
        catch (IOException) when (crash)
        {
            // The machine went down under it: the previous superblock stays in force.
        }
        catch (Exception ex)
        {
            Assert.Fail($"seed {seed} round {round}: checkpoint failed without a crash: {ex}");
        }
    }

    /// <summary>Fires 1-8 commits together and checks each outcome against the model. Returns the state after the acknowledged ones and after all accepted ones.</summary>
    private static async Task<(EngineModel Acknowledged, EngineModel Next)> RunBurst(
        StorageEngine engine, Random random, EngineModel model, List<EngineModel> history, bool crash, int seed, int round)
    {
        var burst = new List<(GeneratedBatch Batch, EngineModel Before, EngineModel After, int Failures, ValueTask<CommitResult> Task)>();
        for (var i = random.Next(1, 9); i > 0; i--)
        {
            var batch = GeneratedBatch.Random(random, model, KeySpace);
            var (next, failures) = model.Commit(batch);
            ValueTask<CommitResult> task;
            try
            {
                task = engine.CommitAsync(batch.ToWriteBatch());
            }
            catch (StorageFailedException ex)
            {
                task = ValueTask.FromException<CommitResult>(ex);
            }

            burst.Add((batch, model, next, failures.Count, task));
            if (failures.Count == 0)
            {
                history.Add(next);
            }

            model = next;
        }

        var acknowledged = burst[0].Before;
        foreach (var (batch, before, after, failures, task) in burst)
        {
            try
            {
                var result = await task;
                Assert.True(failures == 0, $"seed {seed} round {round}: a batch the model rejects was committed");
                Assert.Equal(new CommitResult(before.NextSeq, after.NextSeq - 1), result);
                acknowledged = after;
            }
            catch (KeyPreconditionFailedException ex)
            {
                Assert.True(failures == ex.Failures.Count, $"seed {seed} round {round}: engine listed {ex.Failures.Count} failures, model {failures}");
            }
            catch (StorageFailedException) when (crash)
            {
                // The machine went down: this commit may or may not be on disk.
            }
        }

        return (acknowledged, model);
    }
}
