#!/usr/bin/env bash
# The test suite on a loaded machine: run `npm test` RUNS times, each in a fresh clone of
# this checkout's HEAD (npm ci, its own embedded PostgreSQL), while HOGS processes each keep a
# CPU core busy. Prints one line per run (commit, exit status, passed, failed, stray
# WARNING/ERROR lines, seconds) and exits non-zero if any run failed or printed such lines.
# The logs stay in the printed folder.
#
#   scripts/stress-test.sh [RUNS] [HOGS]        defaults: 5 runs, 2 hogs
#
# Only committed work is tested (it clones HEAD). TEST_DATABASE_URL, when set, is passed on.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
hogs=${2:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/jobsystem-stress.XXXXXX")
# Run as root, the embedded PostgreSQL runs as the user postgres, which must reach the clones.
chmod 755 "$work"
commit=$(git -C "$root" rev-parse --short HEAD)

hog_pids=()
test_pid=""
clone=""
stop() {
  # The hogs, a running suite and a clone's embedded server end with this script, however it
  # ends. The suite runs in a process group of its own (setsid), so all of it is stopped.
  if [ -n "$test_pid" ]; then kill -TERM -- "-$test_pid" 2>/dev/null; wait "$test_pid" 2>/dev/null; fi
  test_pid=""
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
  # In the background and waited for, so that a signal to this script is handled at once.
  (cd "$clone" && exec setsid npm test) >"$log" 2>&1 &
  test_pid=$!
  wait "$test_pid"
  status=$?
  test_pid=""
  seconds=$(($(date +%s) - start))
  passed=$(count passed "$log")
  failed=$(count failed "$log")
  # A passing run prints no log lines of its own (tests capture what they expect).
  noisy=$(grep -cE '^(WARNING|ERROR) ' "$log" || true)
  echo "run $run ($(git -C "$clone" rev-parse --short HEAD)): exit $status, ${passed:-0} passed, ${failed:-0} failed, ${noisy} stray log lines, ${seconds}s, load $(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$status" -eq 0 ] && [ "$noisy" -eq 0 ] || failures=$((failures + 1))
  (cd "$clone" && npm run --silent db:stop >/dev/null 2>&1)
  rm -rf "$clone"
  clone=""
done
stop
echo "$((runs - failures)) of $runs run(s) passed"
[ "$failures" -eq 0 ]
