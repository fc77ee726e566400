"""Drives `quire shell` through a pseudo-terminal as a person would: Tab completion, the
history's up arrow, Ctrl-D. argv: the quire command line (dotnet, the dll, shell, db, --url, url).
Prints `shell answered in N ms` (start to the first answer) and `shell pty ok`."""
import os, pty, select, sys, time

def main():
    command = sys.argv[1:]
    env = dict(os.environ, TERM="xterm", NO_COLOR="1", HOME=os.environ.get("SHELL_HOME", os.environ.get("HOME", "/tmp")))
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(command[0], command, env)
    seen = b""

    def read_until(marker, timeout=30):
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker.encode() not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"timed out waiting for {marker!r}; the terminal shows:\n{seen.decode(errors='replace')}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise SystemExit(f"the shell ended before {marker!r}:\n{seen.decode(errors='replace')}")
                seen += chunk
        found = seen.index(marker.encode()) + len(marker)
        before, seen = seen[:found], seen[found:]
        return before.decode(errors="replace")

    def send(keys):
        os.write(fd, keys.encode())

    read_until("shop> ")
    send("FROM users LIMIT 1;\r")
    read_until("(1 row")
    print(f"shell answered in {(time.monotonic() - started) * 1000:.0f} ms")

    # Tab completes a keyword and a collection the shell learned from the server.
    read_until("shop> ")
    send("FR\t")
    read_until("FROM ")
    send("us\t")
    read_until("users ")
    send("WHERE age > 21;\r")
    shown = read_until("(2 rows")
    if "n3" not in shown:
        raise SystemExit(f"the rows are not shown:\n{shown}")

    # A statement may span lines; the up arrow brings the last one back.
    read_until("shop> ")
    send("FROM users\r")
    read_until("...> ")
    send("LIMIT 3;\r")
    read_until("(3 rows")
    read_until("shop> ")
    send("\x1b[A\r")
    read_until("(3 rows")

    # Errors are said and the shell goes on; Ctrl-D leaves.
    read_until("shop> ")
    send("FROM users WHERE;\r")
    read_until("error:")
    read_until("shop> ")
    send("\x04")
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the shell exited with {os.waitstatus_to_exitcode(status)}")
    print("shell pty ok")

main()
