#!/bin/sh
# Compile the project's TypeScript (`npm run build`; npm ci and npm test run it too) into a
# folder of its own, dist.<time>-<pid>/, then point the symlink dist at it in one rename. A
# cron script started at any moment sees a whole build or none (then it runs through tsx), and
# a run already going keeps loading modules from the build it started with (Node follows the
# symlink once, when it starts). The previous build is kept for such runs; older ones are
# removed. The build's list of .ts files is written first (dist/.built): launch.sh runs the
# build only while the list is the same and no file has changed since.
set -e
cd "$(dirname "$0")/.."
root=$(pwd)
if [ ! -x node_modules/.bin/tsc ]; then
  # npm ci --omit=dev: no compiler. Not an error: the scripts run through tsx, only slower to start.
  echo "build: typescript is not installed; cron scripts will run through tsx" >&2
  exit 0
fi
. lib/services/scripts/sources.sh
next="dist.$(date +%Y%m%d%H%M%S)-$$"
trap 'rm -rf "$next" "$next.link"' EXIT
mkdir "$next"
ts_sources "$root" > "$next/.built"
node_modules/.bin/tsc -p tsconfig.build.json --outDir "$next"
previous=$(readlink dist 2>/dev/null || true)
# A dist left as a plain folder by an older build script is replaced.
if [ -d dist ] && [ ! -L dist ]; then rm -rf dist; fi
ln -s "$next" "$next.link"
mv -T "$next.link" dist
trap - EXIT
for old in dist.*; do
  case "$old" in "$next" | "$previous" | *.link) ;; *) [ -d "$old" ] && rm -rf "$old" ;; esac
done
