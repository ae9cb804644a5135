# The project's TypeScript sources, for scripts/build.sh and launch.sh (sourced by both, so
# the build's list and the launcher's are made the same way). Paths are relative to the
# project's root, so a moved checkout keeps its build. Not searched: dependencies, builds,
# the embedded database's folder, git. Errors (an unreadable folder) are not printed: a file
# missing from the list makes the build stale, which only costs a slower start.
ts_sources() { # root
  (cd "$1" && find . \( -path ./dist -o -path './dist.*' -o -path ./var -o -path ./.git -o -name node_modules \) -prune \
    -o -name '*.ts' -print 2>/dev/null | LC_ALL=C sort)
}
ts_sources_changed_since() { # root stamp: the first .ts file whose status changed after stamp
  (cd "$1" && find . \( -path ./dist -o -path './dist.*' -o -path ./var -o -path ./.git -o -name node_modules \) -prune \
    -o -name '*.ts' -cnewer "$2" -print -quit 2>/dev/null)
}
