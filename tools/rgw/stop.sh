#!/usr/bin/env bash
# Stops what tools/rgw/start.sh <dir> started (radosgw, the OSD, the monitor) and waits for them.
dir=$(realpath -m "$1")
for daemon in rgw osd mon; do
  if [ -f "$dir/run/$daemon.daemon" ]; then
    pid=$(cat "$dir/run/$daemon.daemon")
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
done
