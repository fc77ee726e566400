using System.Text;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Databases;

/// <summary>Writes a migration needs and no client may make.</summary>
public sealed partial class Database
{
    /// <summary>The key every placeholder op writes, holding what the op stood for.</summary>
    internal static readonly byte[] MigratedOpKey = new KeyBuilder().Byte(Keyspace.Meta).String("migrated-op").ToArray();

    /// <summary>
    /// Commits one op per entry of <paramref name="placeholders"/>, each taking a seq and
    /// writing no document and no op-log record, so that migrated ops keep the seqs they had
    /// in the system they came from where an op has no equivalent here (nedbd's checkpoint
    /// markers, or an op that could not be carried). A placeholder may remove link edges
    /// (nedbd's <c>unlink</c>). Returns the first seq taken.
    /// </summary>
    internal async Task<long> CommitPlaceholdersAsync(IReadOnlyList<(string Description, (string From, string Relation, string To)? Unlink)> placeholders, CancellationToken cancellationToken = default)
    {
        using var batch = new WriteBatch();
        var key = new KeyBuilder();
        foreach (var (description, unlink) in placeholders)
        {
            var op = batch.BeginOp().Put(MigratedOpKey, Encoding.UTF8.GetBytes(description));
            if (unlink is var (from, relation, to))
            {
                op.Delete(Keyspace.Edge(key, Keyspace.LinksOut, from, relation, to).Span)
                    .Delete(Keyspace.Edge(key, Keyspace.LinksIn, to, relation, from).Span);
            }

            op.End();
        }

        var commit = await Engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
        return commit.FirstSeq;
    }
}
