using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Databases;

/// <summary>
/// The database header, <c>format.json</c>: the key encoding and text analyzer versions
/// the database's keys were made with, and the version of its documents' form. An open
/// refuses a database made with versions this build does not know rather than misreading
/// it, and upgrades an older documents form (<see cref="Database"/>) before writing the
/// new version here. (A file, not a key, so that a new database's first op is seq 0.)
/// </summary>
internal static class FormatRecord
{
    public const string FileName = "format.json";

    /// <summary>
    /// The documents' form this build writes. 1: <c>_expires_at</c> in epoch milliseconds
    /// (before December 2026; no <c>documents</c> member). 2: in epoch seconds, as nedbd.
    /// </summary>
    public const int DocumentsVersion = 2;

    /// <summary>The longest header read; a real one is a few dozen bytes.</summary>
    private const int MaxBytes = 4096;

    /// <summary>Writes the header of a new database, or replaces it atomically (a new file renamed over the old).</summary>
    public static void Write(string directory, IFileSystem fileSystem, int documentsVersion = DocumentsVersion)
    {
        if (!fileSystem.DirectoryExists(directory))
        {
            fileSystem.CreateDirectory(directory);
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, int>
        {
            ["key_encoding"] = KeyBuilder.EncodingVersion,
            ["analyzer"] = TextAnalyzer.Version,
            ["documents"] = documentsVersion,
        });
        var path = Path.Combine(directory, FileName);
        var next = path + ".next";
        if (fileSystem.FileExists(next))
        {
            fileSystem.Delete(next);
        }

        using (var file = fileSystem.Open(next, create: true))
        {
            file.Write(0, json);
            file.SyncData();
        }

        fileSystem.Rename(next, path);
        fileSystem.SyncDirectory(directory);
    }

    /// <summary>Checks the header and returns the documents' form version it records.</summary>
    /// <exception cref="IncompatibleFormatException">Not a database, a damaged header, or versions this build does not read.</exception>
    public static int Check(string directory, IFileSystem fileSystem)
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

        int encoding, analyzer, documents;
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            encoding = document.RootElement.GetProperty("key_encoding").GetInt32();
            analyzer = document.RootElement.GetProperty("analyzer").GetInt32();
            documents = document.RootElement.TryGetProperty("documents", out var version) ? version.GetInt32() : 1;
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

        if (documents > DocumentsVersion)
        {
            throw new IncompatibleFormatException($"{directory} holds documents of form {documents}, newer than this build's {DocumentsVersion}: open it with a newer Quire");
        }

        return documents;
    }
}
