using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Quire.Server.Http;

/// <summary>
/// The server's log as events (nedb v2's <c>GET /events</c>): a logger provider that hands
/// each line the server logs (at the configured level) to every connected reader. Each
/// reader has a bounded queue; a reader that falls behind loses its oldest lines, never
/// the server's memory.
/// </summary>
internal sealed class ServerEvents : ILoggerProvider
{
    /// <summary>Lines a reader may have waiting.</summary>
    public const int ReaderCapacity = 1024;

    private readonly ConcurrentDictionary<long, Channel<string>> _readers = new();
    private long _next;

    /// <summary>A new reader of the lines logged from now on; dispose it to stop.</summary>
    public Reader Subscribe()
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(ReaderCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var id = Interlocked.Increment(ref _next);
        _readers[id] = channel;
        return new Reader(channel.Reader, () => _readers.TryRemove(id, out _));
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var channel in _readers.Values)
        {
            channel.Writer.TryComplete();
        }
    }

    private void Publish(string line)
    {
        foreach (var channel in _readers.Values)
        {
            channel.Writer.TryWrite(line);
        }
    }

    /// <summary>One reader's lines.</summary>
    public sealed class Reader(ChannelReader<string> lines, Action leave) : IDisposable
    {
        /// <summary>The lines, as they are logged.</summary>
        public ChannelReader<string> Lines { get; } = lines;

        /// <inheritdoc/>
        public void Dispose() => leave();
    }

    private sealed class Logger(ServerEvents events, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && !events._readers.IsEmpty;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            // One line per event: no stack trace, no raw newline (an SSE data line ends at one).
            var message = formatter(state, exception).ReplaceLineEndings(" ");
            events.Publish(string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:O} {logLevel} {category}: {message}"));
        }
    }
}
