#!/usr/bin/env bash
# Runs the whole test suite: builds everything, runs every test project, and ends with
# one line "N passed, N failed[, N skipped]". Exits non-zero on any failure.
# Needs only the .NET SDK; tests that need other programs install them themselves.
# Ends with a 30 s run of each fuzz target (QUIRE_FUZZ_SECONDS sets it; 0 skips them) and
# a 2-minute soak (QUIRE_SOAK_MINUTES).
set -uo pipefail
cd "$(dirname "$0")"

# The server tests drive it with curl and Python's http.client: install them if missing (Debian).
for tool in curl python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq "$tool") >/dev/null 2>&1 || echo "could not install $tool"
  fi
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! dotnet build Quire.slnx -c Release 2>&1 | tee "$log" | grep -E "error|Build succeeded|Warn|warn" | sort -u; then
  :
fi
if ! grep -q "Build succeeded" "$log" || grep -qE "[1-9][0-9]* Error\(s\)" "$log"; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# One test assembly at a time (-m:1): on two cores, the crash, memory and load tests
# keep their timing margins when they do not share the machine with another assembly.
dotnet test Quire.slnx -c Release --no-build -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- Failed: / {
    gsub(",", "");
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1);
      if ($i == "Passed:") p += $(i + 1);
      if ($i == "Skipped:") s += $(i + 1);
    }
  }
  END { print p + 0, f + 0, s + 0 }' "$log")

# Each fuzz target for a short run (fuzz/README.md): one more passed or failed test each.
# QUIRE_FUZZ_SECONDS=0 leaves them out of a quick local run.
fuzz_seconds=${QUIRE_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ]; then
  fuzz/run.sh all "$fuzz_seconds" 2>&1 | tee "$log"
  fuzz_passed=$(grep -cE "^fuzz [a-z]+: .* 0 crashes, 0 hangs$" "$log")
  fuzz_ran=$(grep -cE "^fuzz " "$log")
  passed=$((passed + fuzz_passed))
  failed=$((failed + fuzz_ran - fuzz_passed))
  [ "$fuzz_ran" -gt 0 ] || failed=$((failed + 1))
fi

# A short soak (docs/benchmarks.md#soak): 2 minutes of mixed load with a SIGKILL and restart;
# it passes when nothing failed but what the kill cut. QUIRE_SOAK_MINUTES=0 leaves it out.
soak_minutes=${QUIRE_SOAK_MINUTES:-2}
if [ "$soak_minutes" -gt 0 ]; then
  dotnet bench/Quire.Bench/bin/Release/net10.0/Quire.Bench.dll soak --minutes "$soak_minutes" 2>&1 | tee "$log"
  if grep -q "unexpected errors: 0 (goal 0) met" "$log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the runner failed without reporting a failed test (a crash, a missing assembly)
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "no tests ran"
  failed=1
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
