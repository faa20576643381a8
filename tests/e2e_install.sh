# tests/e2e_install.sh — cmake --install puts the command, its man page,
# libopine (shared and static), <opine.h> and opine.pc under a prefix; the
# example program builds against it with pkg-config alone and runs; the
# shared library exports exactly what opine.h declares.
. "$(dirname "$0")/lib.sh"
[ "${OPINE_SANITIZE:-OFF}" = ON ] &&
    skip "the sanitizer build installs no shared library (the release build's e2e_install checks it)"
build=$(dirname "$OPINE")
command -v pkg-config >/dev/null || fail "pkg-config is missing (make installs it)"
command -v cc >/dev/null || fail "no C compiler"

cmake --install "$build" --prefix "$WORK/prefix" >"$WORK/install.log" 2>&1 ||
    fail "cmake --install: $(cat "$WORK/install.log")"
pc=$(find "$WORK/prefix" -name opine.pc)
[ -n "$pc" ] || fail "no opine.pc installed"
for f in bin/opine include/opine.h share/man/man1/opine.1; do
    [ -f "$WORK/prefix/$f" ] || fail "not installed: $f"
done
libdir=$(dirname "$(dirname "$pc")")
for f in libopine.a libopine.so libopine.so.0 opine_sqlite.so; do
    [ -e "$libdir/$f" ] || fail "not installed: $libdir/$f"
done
ok "the command, man page, header, libraries, SQLite extension and opine.pc are installed"
expect_eq "the extension exports its entry point only" "sqlite3_opinesqlite_init" \
    "$(nm -D --defined-only "$libdir/opine_sqlite.so" | awk '$2 == "T" {print $3}')"
expect_eq "the shared library's soname carries the major version" "libopine.so.0" \
    "$(objdump -p "$libdir/libopine.so" | awk '/SONAME/ {print $2}')"

# The exported symbols are the functions opine.h declares, no more.
declared=$(sed -n 's/^OPINE_API [^(]*[ *]\(opine_[a-z_]*\)(.*/\1/p' "$WORK/prefix/include/opine.h" | sort)
exported=$(nm -D --defined-only "$libdir/libopine.so" | awk '$2 == "T" {print $3}' | sort)
[ -n "$declared" ] || fail "found no declarations in opine.h"
expect_eq "libopine.so exports exactly the functions opine.h declares" "$declared" "$exported"

# The example, built with pkg-config alone.
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs opine) || fail "pkg-config cannot read opine.pc"
expect_eq "pkg-config gives the installed version" \
    "$(sed -n 's/^#define OPINE_VERSION_STRING "\(.*\)"/\1/p' "$OPINE_SRC/api/opine.h")" \
    "$(pkg-config --modversion opine)"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$OPINE_SRC/examples/opine_example.c" $flags \
    -o "$WORK/example" 2>"$WORK/cc.log" || fail "the example does not build: $(cat "$WORK/cc.log")"
ok "the example builds with \$(pkg-config --cflags --libs opine) alone"

SAMPLES=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz
text="Our alliances keep the peace. We must not abandon our allies in Asia."
LD_LIBRARY_PATH=$libdir "$WORK/example" "$WORK/ex.db" "$SAMPLES" "$text" \
    >"$WORK/ex.out" 2>"$WORK/ex.err" || fail "the example failed: $(cat "$WORK/ex.err")"
grep -q "^libopine $(pkg-config --modversion opine) " "$WORK/ex.out" ||
    fail "no version line: $(cat "$WORK/ex.out")"

# Its tokens and stems are those of opine tokens.
"$OPINE" tokens <<<"$text" | awk -F'\t' '{print $1 "+" ($2 - $1) " " $3 " " $5 " " $6}' >"$WORK/cli.tok"
sed -n 's/^token \([0-9+]*\) sentence \([0-9]*\) type \([^ ]*\) stem \([^ ]*\).*/\1 \2 \3 \4/p' \
    "$WORK/ex.out" >"$WORK/api.tok"
[ -s "$WORK/api.tok" ] || fail "the example printed no tokens: $(cat "$WORK/ex.out")"
expect_eq "tokens and stems through opine.h = opine tokens" "$(cat "$WORK/cli.tok")" "$(cat "$WORK/api.tok")"
expect_eq "opine_analyzer_stem stems as opine stem --words" \
    "stem of alliances: $(echo alliances | "$OPINE" stem --words)" \
    "$(grep '^stem of alliances' "$WORK/ex.out")"

# Its stances are what opine run stores for the same text.
printf '{"id": "t", "text": "%s"}\n' "$text" >"$WORK/t.jsonl"
run_opine 0 run "$WORK/t.db" "$WORK/t.jsonl" -q
want=$(q "$WORK/t.db" "SELECT 'theme ' || t.theme || ' mentions ' || s.mentions ||
    CASE WHEN s.stance IS NULL THEN '' ELSE printf(' stance %+.3f [%+.3f, %+.3f]', s.stance, s.lo, s.hi) END
    FROM doc_scores s JOIN themes t ON t.id = s.theme ORDER BY t.id")
got=$(sed -n 's/^\(theme .*\) label .*/\1/p; /^theme .* mentions 0$/p' "$WORK/ex.out")
expect_eq "opine_model_score = the stances opine run stores" "$want" "$got"

# Its run through opine_db_stage = opine run on the sample corpus.
run_opine 0 run "$WORK/cli.db" "$SAMPLES" -q
expect_eq "opine_db_stage(RUN) stores the documents opine run does" \
    "$(q "$WORK/cli.db" "SELECT count(*), sum(bytes) FROM documents")" \
    "$(q "$WORK/ex.db" "SELECT count(*), sum(bytes) FROM documents")"
expect_eq "and the same terms" \
    "$(q "$WORK/cli.db" "SELECT count(*), sum(df), sum(cf) FROM terms")" \
    "$(q "$WORK/ex.db" "SELECT count(*), sum(df), sum(cf) FROM terms")"
grep -q "^run: 12 records, 12 documents" "$WORK/ex.out" || fail "counts: $(cat "$WORK/ex.out")"
ok "the example's counts are the run's"

# The man page covers every command opine --help lists.
"$OPINE" --help >"$WORK/help" 2>&1 || true
for c in $(awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' "$WORK/help"); do
    grep -q "^\.B opine $c\b\|^\.B $c$" "$WORK/prefix/share/man/man1/opine.1" ||
        fail "the man page does not cover '$c'"
done
ok "the man page covers every command"
done_testing
