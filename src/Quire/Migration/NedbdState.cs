using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Quire.Databases;

namespace Quire.Migration;

/// <summary>
/// nedbd's state as its replay folds the log (the last version of each document and the
/// live edges), kept compactly (a digest per document, not the document) to check the
/// migrated database against once it is written.
/// </summary>
internal sealed class NedbdState
{
    private readonly Dictionary<(string Collection, string Id), Version> _documents = [];
    private readonly Dictionary<(string From, string Relation), HashSet<string>> _edges = [];

    public void Put(string collection, string id, long seq, JsonElement document)
    {
        long? expiresAtMs = document.TryGetProperty("_expires_at", out var at) && at.TryGetDouble(out var seconds) ? (long)Math.Round(seconds * 1000) : null;
        _documents[(collection, id)] = new Version(seq, Digest(document), expiresAtMs);
    }

    public void Delete(string collection, string id, long seq) => _documents[(collection, id)] = new Version(seq, null, null);

    public void Link(string from, string relation, string to) => Edges(from, relation).Add(to);

    public void Unlink(string from, string relation, string to) => Edges(from, relation).Remove(to);

    /// <summary>Documents that are live in nedbd but whose TTL has passed at <paramref name="nowMs"/>.</summary>
    public long ExpiredAt(long nowMs) => _documents.Values.LongCount(v => v.Digest is not null && v.ExpiresAtMs <= nowMs);

    /// <summary>Compares <paramref name="database"/> with this state, recording each difference in <paramref name="report"/>.</summary>
    public void Check(Database database, long nowMs, NedbdMigrationReport report)
    {
        foreach (var ((collection, id), expected) in _documents)
        {
            var live = expected.Digest is not null && !(expected.ExpiresAtMs <= nowMs);
            var actual = database.Get(collection, id);
            if (actual is null)
            {
                if (live)
                {
                    report.Mismatch($"{collection}:{id} is missing (nedbd has it at seq {expected.Seq})");
                }

                continue;
            }

            if (!live)
            {
                report.Mismatch($"{collection}:{id} exists, but nedbd deleted it or its TTL has passed");
            }
            else if (actual.Seq != expected.Seq)
            {
                report.Mismatch($"{collection}:{id} is at seq {actual.Seq}, nedbd's at seq {expected.Seq}");
            }
            else
            {
                using var json = JsonDocument.Parse(actual.Json);
                if (!Digest(json.RootElement).AsSpan().SequenceEqual(expected.Digest))
                {
                    report.Mismatch($"{collection}:{id} differs in content from nedbd's");
                }
            }
        }

        foreach (var ((from, relation), targets) in _edges)
        {
            var actual = database.Neighbors(from, relation);
            if (!targets.SetEquals(actual))
            {
                report.Mismatch($"the links {from} -{relation}-> are [{string.Join(", ", actual)}], nedbd's [{string.Join(", ", targets)}]");
            }
        }
    }

    private HashSet<string> Edges(string from, string relation)
    {
        if (!_edges.TryGetValue((from, relation), out var targets))
        {
            _edges[(from, relation)] = targets = new HashSet<string>(StringComparer.Ordinal);
        }

        return targets;
    }

    /// <summary>
    /// A digest of a document's fields with sorted names, leaving out those the two systems
    /// write differently: <c>_seq</c> (the version, compared on its own) and <c>_expires_at</c>
    /// (Quire keeps milliseconds; compared as the documents' visibility).
    /// </summary>
    private static byte[] Digest(JsonElement document)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in document.EnumerateObject().Where(p => p.Name is not ("_seq" or "_expires_at")).OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return SHA256.HashData(buffer.WrittenSpan)[..16];
    }

    private sealed record Version(long Seq, byte[]? Digest, long? ExpiresAtMs);
}
