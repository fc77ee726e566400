#!/usr/bin/env bash
# fuzz/run.sh <target|all> [seconds]: coverage-guided fuzzing of one target (or each in turn)
# with afl-fuzz, on Quire's assemblies instrumented by SharpFuzz. Installs afl++ (Debian) and
# the sharpfuzz tool when missing. Prints one line per target:
#   fuzz <target>: <execs> execs in <s> s, <n> crashes, <n> hangs
# and exits non-zero when a target found a crash or a hang (inputs under fuzz/out/<target>).
# Targets: nql ops msgpack mongo resp replication log page sealed (fuzz/README.md).
set -uo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh <target|all> [seconds]}
seconds=${2:-3600}
all=(nql ops msgpack mongo resp replication log page sealed)

if ! command -v afl-fuzz >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq afl++) >/dev/null 2>&1 || { echo "fuzz: could not install afl++"; exit 1; }
fi
dotnet tool restore >/dev/null || { echo "fuzz: could not restore the sharpfuzz tool"; exit 1; }

# A copy of its own: instrumenting rewrites the assemblies.
bin=fuzz/out/bin
rm -rf "$bin"
dotnet publish fuzz/Quire.Fuzz -c Release -o "$bin" >fuzz/out.publish.log 2>&1 || { echo "fuzz: build failed (fuzz/out.publish.log)"; exit 1; }
for dll in Quire.Storage.dll Quire.dll Quire.Server.dll; do
  dotnet sharpfuzz "$bin/$dll" >/dev/null || { echo "fuzz: could not instrument $dll"; exit 1; }
done

export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
failed=0
for t in $([ "$target" = all ] && echo "${all[@]}" || echo "$target"); do
  if [ ! -d "fuzz/corpus/$t" ]; then
    echo "fuzz: no target $t (one of: ${all[*]})"
    exit 2
  fi
  out="fuzz/out/$t"
  rm -rf "$out"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-x "fuzz/dict/$t.dict")
  timeout -k 10 $((seconds + 120)) afl-fuzz -i "fuzz/corpus/$t" -o "$out" "${dict[@]}" -t 10000 -m none -V "$seconds" \
    -- dotnet "$bin/Quire.Fuzz.dll" "$t" >"$out.log" 2>&1
  stats="$out/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "fuzz $t: afl-fuzz did not run (see $out.log)"
    tail -5 "$out.log"
    failed=1
    continue
  fi
  value() { awk -v k="$1" '$1 == k { print $3 }' "$stats"; }
  crashes=$(value saved_crashes); hangs=$(value saved_hangs)
  echo "fuzz $t: $(value execs_done) execs in $(value run_time) s, $crashes crashes, $hangs hangs"
  if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
    ls "$out"/default/crashes/id:* "$out"/default/hangs/id:* 2>/dev/null | head -5
    failed=1
  fi
done
exit $failed
