#!/bin/sh
# Start a cron script: `launch.sh <cronscripts/name.ts> [args...]` (each script's first lines
# call it). It runs the compiled JavaScript under dist/ when `npm run build` made it from the
# project's .ts files as they are now (the same files, none changed since), and the
# TypeScript through tsx otherwise: the same code either way, but compiled it starts in a
# fraction of the time, which an empty run every minute from cron notices.
# Memory: a runner's live heap is small (~25 MB with 8,000 jobs in flight), but by default V8
# lets the old generation grow to several times that before collecting it, and a long run's
# peak RSS follows. --max-semi-space-size=4 keeps the young generation small, and
# --heap-growing-percent=50 lets the heap grow by half of what is live after each full GC:
# 100,000 no-op jobs peak at ~110 MB instead of ~180 MB, for no measurable CPU. A job that
# needs much memory still gets it (the heap grows in smaller steps).
NODE_FLAGS="--max-semi-space-size=4 --heap-growing-percent=50"
script=$(readlink -f "$1")
shift
# Parameter expansion rather than dirname/basename: every process started here is start-up time.
dir=${script%/*}
root=${dir%/*}
name=${script##*/}
compiled="$root/dist/cronscripts/${name%.ts}.js"
stamp="$root/dist/.built"
. "$root/lib/services/scripts/sources.sh"
# Fresh: the build's list of .ts files is today's (nothing added or deleted), and none of them
# changed since (ctime: copying tools that keep old mtimes cannot hide a change).
if [ -f "$compiled" ] && [ -f "$stamp" ] && ts_sources "$root" | cmp -s - "$stamp" && [ -z "$(ts_sources_changed_since "$root" "$stamp")" ]; then
  exec node $NODE_FLAGS --enable-source-maps "$compiled" "$@"
fi
exec node $NODE_FLAGS --import "$root/node_modules/tsx/dist/esm/index.mjs" "$script" "$@"
