using System.Text.Json;
using Quire.Storage.Engine;

namespace Quire.Documents.Writes;

/// <summary>A document as the batch sees it: as the view held it, then as earlier ops of the batch left it.</summary>
internal sealed class DocumentState
{
    private readonly List<JsonDocument>? _parsed;
    private byte[]? _unparsed;   // the stored form, parsed only when an index needs the old entries
    private JsonElement? _current;

    private DocumentState(long? viewVersion, bool viewExists, byte[]? stored = null, List<JsonDocument>? parsed = null)
    {
        ViewVersion = viewVersion;
        ViewExists = viewExists;
        _unparsed = stored;
        _parsed = parsed;
    }

    /// <summary>The version the view held (a deleted document's too), or null when never written.</summary>
    public long? ViewVersion { get; }

    /// <summary>False for a deleted or expired document.</summary>
    public bool ViewExists { get; }

    /// <summary>The stored document now, for the next op's old index entries (null when deleted),
    /// parsed on first use: a collection without indexes never needs it. An expired document is
    /// still here: its entries go when it is overwritten.</summary>
    public JsonElement? Current
    {
        get
        {
            if (_unparsed is { } bytes)
            {
                var document = JsonDocument.Parse(DocumentCodec.Json(bytes));
                _parsed!.Add(document);
                _current = document.RootElement;
                _unparsed = null;
            }

            return _current;
        }

        set
        {
            _current = value;
            _unparsed = null;
        }
    }

    /// <summary>When <see cref="Current"/> expires, for its expiry entry.</summary>
    public long? CurrentExpiry { get; set; }

    public static DocumentState Read(Snapshot view, byte[] key, long nowMs, List<JsonDocument> parsed)
    {
        if (!view.TryGetVersioned(key, out var stored))
        {
            return new DocumentState(null, false);
        }

        if (stored.Value is not { } bytes)
        {
            return new DocumentState(stored.Version, false);
        }

        return new DocumentState(stored.Version, !DocumentCodec.IsExpired(bytes, nowMs), bytes, parsed)
        {
            CurrentExpiry = DocumentCodec.ExpiresAt(bytes),
        };
    }

    /// <summary>True when <c>if_seq</c> holds as the view stands before the batch.</summary>
    public bool ViewSatisfies(long ifSeq) => ifSeq == WriteBatch.Absent ? !ViewExists : ViewVersion == ifSeq;
}
