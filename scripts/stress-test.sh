#!/usr/bin/env bash
# The test suite on a loaded machine: run `npm test` RUNS times, each in a fresh clone of
# this checkout's HEAD (npm ci, its own embedded PostgreSQL), while HOGS processes each keep a
# CPU core busy. Prints one line per run (exit status, passed, failed, seconds) and exits
# non-zero if any run failed. The logs stay in the printed folder.
#
#   scripts/stress-test.sh [RUNS] [HOGS]        defaults: 5 runs, 2 hogs
#
# Only committed work is tested (it clones HEAD). TEST_DATABASE_URL, when set, is passed on.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
hogs=${2:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/jobsystem-stress.XXXXXX")
commit=$(git -C "$root" rev-parse --short HEAD)

hog_pids=()
clone=""
stop() {
  # The hogs and a clone's embedded server end with this script, however it ends.
  if [ "${#hog_pids[@]}" -gt 0 ]; then kill "${hog_pids[@]}" 2>/dev/null; wait "${hog_pids[@]}" 2>/dev/null; fi
  hog_pids=()
  if [ -n "$clone" ] && [ -d "$clone" ]; then
    (cd "$clone" && npm run --silent db:stop >/dev/null 2>&1)
    rm -rf "$clone"
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM

count() { # a pattern's number in an ava log ("12 tests passed" -> 12), 0 when absent
  grep -Eo "^\s*[0-9]+ (tests? )?$1" "$2" | grep -Eo '[0-9]+' | tail -1 || true
}

echo "stress test of $commit: $runs run(s) of npm test, $hogs CPU hog(s) beside them; logs in $work"
for _ in $(seq "$hogs"); do
  node -e 'for (;;) {}' &
  hog_pids+=($!)
done

failures=0
for run in $(seq "$runs"); do
  clone="$work/clone-$run"
  log="$work/run-$run.log"
  git clone --quiet "$root" "$clone"
  if ! (cd "$clone" && npm ci --no-audit --no-fund --prefer-offline) >"$work/npm-ci-$run.log" 2>&1; then
    echo "run $run: npm ci failed (see $work/npm-ci-$run.log)"
    failures=$((failures + 1))
    continue
  fi
  start=$(date +%s)
  (cd "$clone" && npm test) >"$log" 2>&1
  status=$?
  seconds=$(($(date +%s) - start))
  passed=$(count passed "$log")
  failed=$(count failed "$log")
  echo "run $run: exit $status, ${passed:-0} passed, ${failed:-0} failed, ${seconds}s, load $(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$status" -eq 0 ] || failures=$((failures + 1))
  (cd "$clone" && npm run --silent db:stop >/dev/null 2>&1)
  rm -rf "$clone"
  clone=""
done
stop
echo "$((runs - failures)) of $runs run(s) passed"
[ "$failures" -eq 0 ]
