using System.IO.Compression;
using System.Text.Json;

namespace Quire.Migration;

/// <summary>
/// What a nedbd v1 <c>snapshot.json</c> holds that its log does not: the index definitions of
/// its checkpoint and the content of files (nedbd keeps file chunks only here, zlib-compressed
/// in the warm tier and LZMA in the cold one).
/// </summary>
internal sealed class NedbdSnapshot
{
    private readonly Dictionary<string, JsonElement> _chunks = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tier, string Name), JsonElement> _files = [];
    private readonly NedbdCipher? _cipher;

    private NedbdSnapshot(NedbdCipher? cipher)
    {
        _cipher = cipher;
    }

    /// <summary>The indexes it defines: (collection, field, kind).</summary>
    public List<(string Collection, string Field, string Kind)> Indexes { get; } = [];

    /// <summary>The seq of the checkpoint it was taken at.</summary>
    public long Seq { get; private set; } = -1;

    /// <summary>The snapshot in <paramref name="path"/>, or null when there is none.</summary>
    /// <exception cref="NedbdFormatException">It is not a snapshot, or does not open under the key.</exception>
    public static NedbdSnapshot? Read(string path, NedbdCipher? cipher)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var text = NedbdCipher.Unwrap(File.ReadAllBytes(path), cipher)
            ?? throw new NedbdFormatException($"{path} does not open under the database's key");
        var snapshot = new NedbdSnapshot(cipher);
        try
        {
            var root = JsonDocument.Parse(text).RootElement;
            snapshot.Seq = root.TryGetProperty("checkpoint_seq", out var seq) ? seq.GetInt64() : -1;
            if (root.TryGetProperty("index_config", out var indexes))
            {
                foreach (var index in indexes.EnumerateArray())
                {
                    snapshot.Indexes.Add((index[0].GetString()!, index[1].GetString()!, index.GetArrayLength() > 2 ? index[2].GetString()! : "eq"));
                }
            }

            if (root.TryGetProperty("blobs", out var blobs))
            {
                foreach (var tier in blobs.EnumerateObject())
                {
                    foreach (var chunk in tier.Value.GetProperty("chunks").EnumerateObject())
                    {
                        snapshot._chunks[tier.Name + "/" + chunk.Name] = chunk.Value;
                    }

                    foreach (var file in tier.Value.GetProperty("files").EnumerateObject())
                    {
                        snapshot._files[(tier.Name, file.Name)] = file.Value;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new NedbdFormatException($"{path} is not a nedbd snapshot: {ex.Message}", ex);
        }

        return snapshot;
    }

    /// <summary>
    /// The content of version <paramref name="version"/> of a file, or null with the reason
    /// when the snapshot cannot give it (taken before the version was written, or a tier whose
    /// compression cannot be read).
    /// </summary>
    public byte[]? FileContent(string tier, string name, int version, out string? reason)
    {
        reason = null;
        if (!_files.TryGetValue((tier, name), out var file) || file.GetProperty("versions").GetArrayLength() <= version)
        {
            reason = "nedbd keeps file content only in its snapshot, and the last snapshot was taken before this version was written";
            return null;
        }

        if (tier != "warm")
        {
            reason = $"the {tier} tier is LZMA-compressed, which this build cannot read";
            return null;
        }

        using var content = new MemoryStream();
        foreach (var hash in file.GetProperty("versions")[version].EnumerateArray())
        {
            if (!_chunks.TryGetValue(tier + "/" + hash.GetString(), out var chunk))
            {
                reason = $"chunk {hash.GetString()} is missing from the snapshot";
                return null;
            }

            var stored = Convert.FromBase64String(chunk.GetString() ?? "");
            if (_cipher is not null && (stored = _cipher.Open(stored)!) is null)
            {
                reason = $"chunk {hash.GetString()} does not open under the database's key";
                return null;
            }

            using var zlib = new ZLibStream(new MemoryStream(stored), CompressionMode.Decompress);
            zlib.CopyTo(content);
        }

        return content.ToArray();
    }
}
