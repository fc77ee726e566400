using System.CommandLine;
using Quire.Cli.Client;
using Quire.Storage.Crypto;

namespace Quire.Cli.Keys;

/// <summary>
/// Where a command finds the master key, as nedbd does: <c>--key-file</c>, else the file
/// named by <c>NEDB_TMK_FILE</c>, else 64 hex characters in <c>NEDB_TMK</c>. None of them:
/// no key (databases are created plaintext, encrypted ones do not open).
/// </summary>
internal static class MasterKeyOptions
{
    /// <summary>The <c>--key-file</c> option.</summary>
    public static Option<string?> KeyFile(string description = "File of the master key (raw bytes, or 64 hex characters); encrypts the databases created and opens encrypted ones (env NEDB_TMK_FILE, or the key itself in NEDB_TMK)") =>
        new("--key-file") { Description = description, DefaultValueFactory = _ => Env("NEDB_TMK_FILE") };

    /// <summary>
    /// The key from <paramref name="keyFile"/> (a path, or null) or <c>NEDB_TMK</c>; null when
    /// neither is set. Throws <see cref="CliError"/> (usage) naming the source of a bad key.
    /// </summary>
    public static MasterKey? Resolve(string? keyFile)
    {
        if (keyFile is not null)
        {
            return Load(keyFile);
        }

        if (Env("NEDB_TMK") is not { } hex)
        {
            return null;
        }

        try
        {
            return MasterKey.FromHex(hex);
        }
        catch (FormatException ex)
        {
            throw new CliError($"NEDB_TMK: {ex.Message}", exitCode: 2);
        }
    }

    /// <summary>The key in the file at <paramref name="path"/>; throws <see cref="CliError"/> (usage) naming it when it is missing or not a key.</summary>
    public static MasterKey Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliError($"the key file {path} does not exist", exitCode: 2);
        }

        try
        {
            return MasterKey.FromFile(path);
        }
        catch (FormatException ex)
        {
            throw new CliError($"the key file {path}: {ex.Message}", exitCode: 2);
        }
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
