#!/bin/sh
# Compile the project's TypeScript to dist/ (`npm run build`; npm ci and npm test run it too).
# The cron scripts run the compiled code while dist/.built is newer than every .ts file of the
# project, and the TypeScript itself through tsx otherwise (lib/services/scripts/launch.sh),
# so a stale build is never run. The stamp is taken before compiling: a file edited meanwhile
# counts as newer. The new build is written to a folder of its own and then put in place, so
# a script that cron starts during a build never reads a half-written file, and files of
# deleted sources do not linger.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  # npm ci --omit=dev: no compiler. Not an error: the scripts run through tsx, only slower to start.
  echo "build: typescript is not installed; cron scripts will run through tsx" >&2
  exit 0
fi
next="dist.next.$$"
rm -rf "$next"
mkdir "$next"
trap 'rm -rf "$next"' EXIT
touch "$next/.built"
node_modules/.bin/tsc -p tsconfig.build.json --outDir "$next"
rm -rf "dist.old.$$"
if [ -d dist ]; then mv dist "dist.old.$$"; fi
mv "$next" dist
rm -rf "dist.old.$$"
