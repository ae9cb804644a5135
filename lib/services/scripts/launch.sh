#!/bin/sh
# Start a cron script: `launch.sh <cronscripts/name.ts> [args...]` (each script's first lines
# call it). It runs the compiled JavaScript under dist/ when `npm run build` made it after the
# last change to any .ts file of the project, and the TypeScript through tsx otherwise: the
# same code either way, but compiled it starts in a fraction of the time, which an empty run
# every minute from cron notices. --max-semi-space-size=4: a runner's per-job garbage is
# small, and a small young generation keeps a long run's peak memory down.
script=$(readlink -f "$1")
shift
root=$(dirname "$(dirname "$script")")
compiled="$root/dist/cronscripts/$(basename "$script" .ts).js"
stamp="$root/dist/.built"
if [ -f "$compiled" ] && [ -f "$stamp" ] && [ -z "$(find "$root" \( -name node_modules -o -name dist -o -name var -o -name .git \) -prune -o -name '*.ts' -newer "$stamp" -print -quit)" ]; then
  exec node --max-semi-space-size=4 --enable-source-maps "$compiled" "$@"
fi
exec node --max-semi-space-size=4 --import "$root/node_modules/tsx/dist/esm/index.mjs" "$script" "$@"
