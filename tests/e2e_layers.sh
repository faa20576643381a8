# tests/e2e_layers.sh — the layering check (tests/check_layers.sh) passes on
# the tree, and fails, naming file and line, when a lower layer includes a
# header of a higher one.
. "$(dirname "$0")/lib.sh"
check=$OPINE_SRC/tests/check_layers.sh

sh "$check" "$OPINE_SRC" 2>"$WORK/err" || fail "the tree breaks its layers: $(cat "$WORK/err")"
ok "no include runs upward in the tree"

# A copy of the layers, to break one include at a time.
copy() {
    rm -rf "$WORK/src"
    mkdir "$WORK/src"
    for d in base corpus stages models pipeline api cli ext; do
        cp -r "$OPINE_SRC/$d" "$WORK/src/$d"
    done
}
# violate FILE INCLUDE WHAT: add #include "INCLUDE" to FILE, expect the
# check to fail and name FILE.
violate() {
    copy
    printf '#include "%s"\n' "$2" >>"$WORK/src/$1"
    if sh "$check" "$WORK/src" 2>"$WORK/err"; then
        fail "$3: the check passed"
    fi
    grep -q "^$1:[0-9]*: includes \"$2\"" "$WORK/err" ||
        fail "$3: the message does not name $1: $(cat "$WORK/err")"
    ok "$3 fails the check"
}
violate stages/tokenize.c models/model.h "stages/ including models/"
violate base/mem.c pipeline/store.h "base/ including pipeline/"
violate corpus/reader.c stages/stem.h "corpus/ including stages/ (the same layer)"
violate models/model.c pipeline/engine.h "models/ including pipeline/"
violate pipeline/store.c cli/cli.h "pipeline/ including the command line"
violate stages/stem.h api/opine.h "a layer including the public header"
violate api/opine.c cli/cli.h "the public interface including the command line"

copy
printf '#include "base/mem.h"\n#include "stages/stem.h"\n' >>"$WORK/src/models/model.c"
sh "$check" "$WORK/src" 2>"$WORK/err" || fail "downward includes refused: $(cat "$WORK/err")"
ok "includes of lower layers pass"
done_testing
