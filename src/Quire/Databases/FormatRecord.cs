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

    /// <summary>The longest header read; a real one is a few dozen bytes.</summary>
    private const int MaxBytes = 4096;

    public static void Write(string directory, IFileSystem fileSystem)
    {
        if (!fileSystem.DirectoryExists(directory))
        {
            fileSystem.CreateDirectory(directory);
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, int>
        {
            ["key_encoding"] = KeyBuilder.EncodingVersion,
            ["analyzer"] = TextAnalyzer.Version,
        });
        using (var file = fileSystem.Open(Path.Combine(directory, FileName), create: true))
        {
            file.Write(0, json);
            file.SyncData();
        }

        fileSystem.SyncDirectory(directory);
    }

    public static void Check(string directory, IFileSystem fileSystem)
    {
        var path = Path.Combine(directory, FileName);
        if (!fileSystem.FileExists(path))
        {
            throw new IncompatibleFormatException($"{directory} is not a Quire database: it has no {FileName}");
        }

        var buffer = new byte[MaxBytes];
        int length;
        using (var file = fileSystem.Open(path, create: false))
        {
            length = file.ReadFully(0, buffer);
        }

        int encoding, analyzer;
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
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
