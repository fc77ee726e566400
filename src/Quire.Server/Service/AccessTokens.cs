using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Quire.Server.Service;

/// <summary>
/// The bearer tokens a server takes: <c>--token</c> (full access) and those a token file
/// names, each full, read-only, or limited to some databases. No token at all: every
/// request is let in (a server on loopback for one user). Compared in fixed time.
/// </summary>
/// <remarks>
/// The file is JSON: <c>{"tokens": [{"token": "...", "access": "read" | "write",
/// "databases": ["shop", ...]}]}</c>; <c>access</c> defaults to <c>write</c>, and without
/// <c>databases</c> a token reaches every database.
/// </remarks>
internal sealed class AccessTokens
{
    private readonly List<(byte[] Token, AccessGrant Grant)> _tokens = [];

    /// <summary>Whether any token is set: then every protected route needs one.</summary>
    public bool Required => _tokens.Count > 0;

    /// <summary>The tokens of <paramref name="token"/> and the file at <paramref name="file"/> (either may be null).</summary>
    /// <exception cref="ArgumentException">The file is missing, not JSON of that shape, or names a token twice.</exception>
    public static AccessTokens Load(string? token, string? file)
    {
        var tokens = new AccessTokens();
        if (token is { Length: > 0 })
        {
            tokens._tokens.Add((Encoding.UTF8.GetBytes(token), AccessGrant.Full));
        }

        if (file is null)
        {
            return tokens;
        }

        if (!File.Exists(file))
        {
            throw new ArgumentException($"the token file {file} does not exist");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var entry in document.RootElement.GetProperty("tokens").EnumerateArray())
            {
                var value = entry.GetProperty("token").GetString();
                if (string.IsNullOrEmpty(value))
                {
                    throw new ArgumentException($"the token file {file} has an empty token");
                }

                var access = entry.TryGetProperty("access", out var a) ? a.GetString() : "write";
                if (access is not ("read" or "write"))
                {
                    throw new ArgumentException($"the token file {file}: access must be \"read\" or \"write\", not \"{access}\"");
                }

                HashSet<string>? databases = entry.TryGetProperty("databases", out var d)
                    ? new(d.EnumerateArray().Select(n => n.GetString() ?? throw new ArgumentException($"the token file {file}: a database name must be a string")), StringComparer.Ordinal)
                    : null;
                var bytes = Encoding.UTF8.GetBytes(value);
                if (tokens._tokens.Any(t => t.Token.AsSpan().SequenceEqual(bytes)))
                {
                    throw new ArgumentException($"the token file {file} names a token twice (or the one of --token)");
                }

                tokens._tokens.Add((bytes, new AccessGrant(access == "write", databases)));
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ArgumentException($"the token file {file} is not {{\"tokens\": [{{\"token\", \"access\"?, \"databases\"?}}]}}: {ex.Message}");
        }

        return tokens;
    }

    /// <summary>What <paramref name="given"/> grants: every access when no token is set, null when it is none of them.</summary>
    public AccessGrant? Find(string? given)
    {
        if (!Required)
        {
            return AccessGrant.Full;
        }

        var bytes = Encoding.UTF8.GetBytes(given ?? "");
        AccessGrant? found = null;
        foreach (var (token, grant) in _tokens)
        {
            // Every token is compared, so the time taken does not say which one matched.
            if (CryptographicOperations.FixedTimeEquals(bytes, token))
            {
                found = grant;
            }
        }

        return found;
    }
}

/// <summary>What a token lets its holder do: write or only read, in every database or in some.</summary>
internal sealed record AccessGrant(bool CanWrite, IReadOnlySet<string>? Databases)
{
    /// <summary>Everything.</summary>
    public static readonly AccessGrant Full = new(true, null);

    /// <summary>Whether it writes and reaches every database.</summary>
    public bool IsFull => CanWrite && Databases is null;

    /// <summary>Whether it reaches <paramref name="database"/>.</summary>
    public bool Reaches(string database) => Databases is null || Databases.Contains(database);
}
