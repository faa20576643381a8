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
rank() {
    case $1 in
    base) echo 1 ;;
    corpus | stages) echo 2 ;;
    models) echo 3 ;;
    pipeline) echo 4 ;;
    api) echo 5 ;;
    cli | ext) echo 6 ;;
    *) echo 0 ;;
    esac
}
bad=0
for dir in base corpus stages models pipeline api cli ext; do
    [ -d "$dir" ] || continue
    mine=$(rank "$dir")
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        # #include "DIR/NAME.h" lines, with their line numbers
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
            sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' >"${TMPDIR:-/tmp}/layers.$$"
        while read -r line inc; do
            case $inc in
            */*) top=${inc%%/*} ;;
            *) continue ;; # a header beside the file
            esac
            theirs=$(rank "$top")
            [ "$theirs" = 0 ] && continue # not a layer (a system or generated header)
            if [ "$top" != "$dir" ] && [ "$theirs" -ge "$mine" ]; then
                echo "$f:$line: includes \"$inc\": $dir/ (layer $mine) may include only lower layers, not $top/ (layer $theirs)" >&2
                bad=1
            fi
        done <"${TMPDIR:-/tmp}/layers.$$"
    done
done
rm -f "${TMPDIR:-/tmp}/layers.$$"
exit $bad
