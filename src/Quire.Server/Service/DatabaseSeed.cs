using System.Text.Json;
using Quire.Documents;
using Quire.Indexes;

namespace Quire.Server.Service;

/// <summary>
/// The <c>init</c> of a database create (nedbd's): indexes <c>[[coll, field, kind?]...]</c>,
/// seed documents <c>{coll: [doc...]}</c> (id from <c>_id</c>, else <c>id</c>, else
/// <c>&lt;coll&gt;-&lt;n&gt;</c>, 1-based) and links <c>[[frm, rel, to]...]</c>.
/// </summary>
internal sealed record DatabaseSeed(IReadOnlyList<(string Coll, string Field, IndexKind Kind)> Indexes, IReadOnlyList<DocumentOp> Ops)
{
    /// <summary>No indexes, no documents.</summary>
    public static DatabaseSeed Empty { get; } = new([], []);

    /// <summary>Reads an <c>init</c> object.</summary>
    /// <exception cref="ServiceException">A malformed entry (bad input, naming it).</exception>
    public static DatabaseSeed Parse(JsonElement init) => new(ParseIndexes(init), ParseOps(init));

    private static List<(string, string, IndexKind)> ParseIndexes(JsonElement init)
    {
        var indexes = new List<(string, string, IndexKind)>();
        if (init.TryGetProperty("indexes", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var index in list.EnumerateArray())
            {
                var parts = Strings(index);
                if (parts.Length < 2 || parts[0] is null || parts[1] is null)
                {
                    throw ServiceException.BadInput("init.indexes entries are [coll, field, kind?]");
                }

                indexes.Add((parts[0]!, parts[1]!, parts.Length > 2 && parts[2] is { } kind ? IndexKinds.Parse(kind) : IndexKind.Eq));
            }
        }

        return indexes;
    }

    private static List<DocumentOp> ParseOps(JsonElement init)
    {
        var ops = new List<DocumentOp>();
        if (init.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Object)
        {
            foreach (var coll in seed.EnumerateObject())
            {
                var n = 0;
                foreach (var doc in coll.Value.ValueKind == JsonValueKind.Array ? coll.Value.EnumerateArray() : default)
                {
                    n++;
                    if (doc.ValueKind != JsonValueKind.Object)
                    {
                        throw ServiceException.BadInput($"init.seed.{coll.Name}[{n - 1}] is not an object");
                    }

                    var id = RequestFields.String(doc, "_id") ?? IdField(doc) ?? $"{coll.Name}-{n}";
                    ops.Add(DocumentOp.Put(coll.Name, id, doc.Clone()));
                }
            }
        }

        if (init.TryGetProperty("links", out var links) && links.ValueKind == JsonValueKind.Array)
        {
            foreach (var link in links.EnumerateArray())
            {
                var parts = Strings(link);
                if (parts.Length != 3 || parts.Any(p => p is null))
                {
                    throw ServiceException.BadInput("init.links entries are [frm, rel, to]");
                }

                ops.Add(DocumentOp.Link(parts[0]!, parts[1]!, parts[2]!));
            }
        }

        return ops;
    }

    private static string?[] Strings(JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString() : null).ToArray() : [];

    private static string? IdField(JsonElement doc) =>
        doc.TryGetProperty("id", out var id)
            ? id.ValueKind switch { JsonValueKind.String => id.GetString(), JsonValueKind.Number => id.GetRawText(), _ => null }
            : null;
}
