using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Databases;

/// <summary>
/// The database header, <c>format.json</c>: the key encoding and text analyzer versions
/// the database's keys were made with, written once when it is created. An open refuses
/// a database made with versions this build does not know rather than misreading it.
/// (A file, not a key, so that a new database's first op is seq 0.)
/// </summary>
internal static class FormatRecord
{
    public const string FileName = "format.json";

    public static void Write(string directory, IFileSystem fileSystem)
    {
        var path = Path.Combine(directory, FileName);
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, int>
        {
            ["key_encoding"] = KeyBuilder.EncodingVersion,
            ["analyzer"] = TextAnalyzer.Version,
        });
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            file.Write(json);
            file.Flush(flushToDisk: true);
        }

        fileSystem.SyncDirectory(directory);
    }

    public static void Check(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new IncompatibleFormatException($"{directory} is not a Quire database: it has no {FileName}");
        }

        int encoding, analyzer;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            encoding = document.RootElement.GetProperty("key_encoding").GetInt32();
            analyzer = document.RootElement.GetProperty("analyzer").GetInt32();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new IncompatibleFormatException($"{path} is damaged: {ex.Message}");
        }

        if (encoding != KeyBuilder.EncodingVersion || analyzer != TextAnalyzer.Version)
        {
            throw new IncompatibleFormatException(
                $"{directory} was written with key encoding {encoding} and analyzer {analyzer}; this build reads key encoding {KeyBuilder.EncodingVersion} and analyzer {TextAnalyzer.Version}");
        }
    }
}
