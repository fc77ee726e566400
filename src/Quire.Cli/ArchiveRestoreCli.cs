using System.CommandLine;
using System.Globalization;
using Quire.Cli.Client;
using Quire.Databases;
using Quire.Replication.Archive;
using Quire.Replication.ObjectStore;
using Quire.Storage.Crypto;

namespace Quire.Cli;

/// <summary>
/// <c>quire restore s3://bucket/prefix --to DIR [--db NAME] [--seq N | --time T]</c>: databases
/// made again from the archive <c>quire serve --archive</c> keeps, as of their last archived
/// seq, a seq, or a time, each verified.
/// </summary>
internal static class ArchiveRestoreCli
{
    /// <summary>The options only a restore from an archive takes.</summary>
    internal sealed record Options(Option<string?> Database, Option<long?> Seq, Option<string?> Time, Option<string?> Endpoint)
    {
        public static Options AddTo() => new(
            new Option<string?>("--db") { Description = "From an archive: only this database (default: every one in it)" },
            new Option<long?>("--seq") { Description = "From an archive: as of this seq (the last batch ending at or before it)" },
            new Option<string?>("--time") { Description = "From an archive: as archived by this time (ISO 8601, e.g. 2026-12-07T21:00:00Z)" },
            new Option<string?>("--s3-endpoint") { Description = "The S3-compatible service's URL (default: AWS) (env AWS_ENDPOINT_URL_S3)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") });
    }

    public static async Task<int> RunAsync(ParseResult result, string from, string root, string? rename, MasterKey? key, Options options, CancellationToken cancellation)
    {
        S3Location location;
        try
        {
            location = S3Location.Parse(from);
        }
        catch (FormatException ex)
        {
            throw new CliError(ex.Message, 2);
        }

        var endpoint = result.GetValue(options.Endpoint) is { } url
            ? Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed : throw new CliError($"--s3-endpoint {url} is not a URL", 2)
            : null;
        var seq = result.GetValue(options.Seq);
        DateTimeOffset? time = null;
        if (result.GetValue(options.Time) is { } text)
        {
            time = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : throw new CliError($"--time {text} is not a time (ISO 8601)", 2);
        }

        if (seq is not null && time is not null)
        {
            throw new CliError("give --seq or --time, not both", 2);
        }

        using var store = new S3ObjectStore(location.Bucket, endpoint);
        try
        {
            var names = result.GetValue(options.Database) is { } one ? [one] : await ArchiveRestore.DatabasesAsync(store, location.Prefix, cancellation).ConfigureAwait(false);
            if (names.Count == 0)
            {
                throw new CliError($"{location} holds no archived database");
            }

            if (rename is not null && names.Count > 1)
            {
                throw new CliError("--name renames one database: say which with --db", 2);
            }

            foreach (var name in names)
            {
                var restored = await ArchiveRestore.RestoreAsync(
                    store, location.Key(name), root, rename ?? name, new DatabaseOptions { Storage = new() { MasterKey = key } }, seq, time, cancellation).ConfigureAwait(false);
                Console.WriteLine($"restored {restored.Database} in {Path.GetFullPath(root)} as of seq {restored.Seq}, head {restored.Head} (a base copy at seq {restored.BaseSeq} and {restored.Records:N0} log records; the chain verified)");
            }
        }
        catch (Exception ex) when (ex is ArchiveException or ObjectStoreException or DatabaseExistsException or EncryptionKeyException or Storage.Format.CorruptDataException)
        {
            throw new CliError(ex.Message);
        }

        return 0;
    }
}
