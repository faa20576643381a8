#!/bin/sh
# tests/check_layers.sh [SRC] — hold libopine's layers to including only
# their own and lower layers' headers. Bottom to top:
#   1 base/                errors, memory, maps, row buffers
#   2 corpus/  stages/     readers; tokenize, segment, fold, stem, stop words
#                          (neither includes the other)
#   3 models/              loading, compiling, scoring, training
#   4 pipeline/            engine, store
#   5 api/                 the public interface, opine.h
#   6 cli/  ext/           the command line; the SQLite extension
# Tests, bench and examples may include anything. Prints each include
# that runs upward as FILE:LINE: and exits 1 when there is one.
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 2
# Every layer's files, .c then .h, in the order above; then one grep for
# their #include "DIR/NAME.h" lines and one awk to rank them (a shell
# loop with a subshell per include took seconds a call).
set --
for dir in base corpus stages models pipeline api cli ext; do
    [ -d "$dir" ] || continue
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] && set -- "$@" "$f"
    done
done
[ $# -gt 0 ] || exit 0
grep -H -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$@" |
    awk '
    function rank(d) {
        if (d == "base") return 1
        if (d == "corpus" || d == "stages") return 2
        if (d == "models") return 3
        if (d == "pipeline") return 4
        if (d == "api") return 5
        if (d == "cli" || d == "ext") return 6
        return 0
    }
    { # FILE:LINE:#include "INC"...
        i = index($0, ":")
        f = substr($0, 1, i - 1)
        rest = substr($0, i + 1)
        i = index(rest, ":")
        line = substr(rest, 1, i - 1)
        rest = substr(rest, i + 1)
        rest = substr(rest, index(rest, "\"") + 1)
        i = index(rest, "\"")
        if (i == 0)
            next
        inc = substr(rest, 1, i - 1)
        i = index(inc, "/")
        if (i == 0)
            next # a header beside the file
        top = substr(inc, 1, i - 1)
        dir = substr(f, 1, index(f, "/") - 1)
        mine = rank(dir)
        theirs = rank(top)
        if (theirs == 0)
            next # not a layer (a system or generated header)
        if (top != dir && theirs >= mine) {
            printf "%s:%s: includes \"%s\": %s/ (layer %d) may include only lower layers, not %s/ (layer %d)\n", f, line, inc, dir, mine, top, theirs > "/dev/stderr"
            bad = 1
        }
    }
    END { exit bad }'
