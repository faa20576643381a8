# tests/lib.sh — helpers shared by the end-to-end tests (sourced, not run).
# ctest sets OPINE (the binary), OPINE_SRC, OPINE_SHARED, OPINE_TESTDATA.
set -euo pipefail
: "${OPINE:?run through ctest: OPINE must name the opine binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/opine-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PASSED=0
# The tests directory, for the Python helpers the tests import (body.py).
TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# python3 is Debian's, which make installs with the modules the tests use
# (python3-scipy, python3-zstandard): the python3 first in PATH may be
# another build without them, or a version manager's shim (pyenv's costs
# half a second of CPU a call, seconds on a loaded machine, and
# e2e_similar alone calls it some thirty times).
if [ -x /usr/bin/python3 ]; then
    python3() { /usr/bin/python3 "$@"; }
fi

# OPINE_VALGRIND=SUPPRESSIONS (the vg_ tests, tests/CMakeLists.txt): every
# opine the test runs runs under valgrind's memcheck, through a wrapper
# that keeps opine's exit status and output unless memcheck finds an
# error: then it exits 99, and the report goes to stderr and to
# $WORK/valgrind-errors, which done_testing requires to be empty (so that
# a test which expects a failure, or ignores the status, fails too).
if [ -n "${OPINE_VALGRIND:-}" ]; then
    cat >"$WORK/opine-valgrind" <<EOF
#!/bin/sh
log=\$(mktemp "$WORK/valgrind.XXXXXX")
valgrind -q --error-exitcode=99 --leak-check=full \\
    --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect \\
    --soname-synonyms=somalloc=*tcmalloc* --suppressions="$OPINE_VALGRIND" \\
    --log-file="\$log" "$OPINE" "\$@"
rc=\$?
if [ \$rc = 99 ]; then
    { echo "valgrind: opine \$*"; cat "\$log"; } |
        tee -a "$WORK/valgrind-errors" >&2
fi
rm -f "\$log"
exit \$rc
EOF
    chmod +x "$WORK/opine-valgrind"
    OPINE=$WORK/opine-valgrind
fi

# In the ThreadSanitizer build (OPINE_TSAN=ON, make tsan) each opine
# writes what TSan reports to $WORK/tsan.PID, which done_testing requires
# to be absent, whatever the test made of opine's exit status.
if [ "${OPINE_TSAN:-OFF}" = ON ]; then
    export TSAN_OPTIONS="log_path=$WORK/tsan exitcode=66 ${TSAN_OPTIONS:-}"
fi

# Whether opine is a sanitizer build (ASan+UBSan or TSan): those look for
# memory and thread errors, which the same code paths show with fewer
# calls, and each opine they start costs them about 0.1 s more, so tests
# with many random calls make fewer there.
sanitized() {
    [ "${OPINE_SANITIZE:-OFF}" = ON ] || [ "${OPINE_TSAN:-OFF}" = ON ]
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

ok() {
    PASSED=$((PASSED + 1))
    echo "ok $PASSED - $*"
}

# Skip the whole test (ctest reports exit 77 as skipped).
skip() {
    echo "SKIP: $*"
    exit 77
}

# Queries wait up to 10 s for a lock, as any client should: right after a
# SIGKILL the kernel may still be tearing the killed process down, and its
# file locks go with it a moment later (seen as a rare "database is
# locked" in e2e_kill).
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$@"; }

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    ok "$1"
}

# Run opine expecting exit code $1; output goes to $WORK/out and $WORK/err.
run_opine() {
    local want=$1
    shift
    local got=0
    "$OPINE" "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
    if [ "$got" != "$want" ]; then
        cat "$WORK/err" >&2
        fail "opine $* exited $got, expected $want"
    fi
}

# Term statistics are exact: terms equals the sums over doc_terms, and each
# document's summed tf equals its counted tokens.
check_exact() {
    local db=$1
    local bad
    # (the sums made once, MATERIALIZED, for the EXCEPTs both ways: summing
    # doc_terms is most of the work)
    local sums="SELECT stem, count(*), sum(tf) FROM doc_terms GROUP BY stem"
    bad=$(q "$db" "WITH s(stem, df, cf) AS MATERIALIZED ($sums)
          SELECT (SELECT count(*) FROM
          (SELECT stem, df, cf FROM terms EXCEPT SELECT * FROM s))
          + (SELECT count(*) FROM
          (SELECT * FROM s EXCEPT SELECT stem, df, cf FROM terms))")
    expect_eq "terms.df/cf equal doc_terms sums in $(basename "$db")" 0 "$bad"
    local lens="SELECT doc, sum(tf) FROM doc_terms GROUP BY doc"
    local toks="SELECT doc, tokens FROM doc_lengths WHERE tokens > 0"
    bad=$(q "$db" "WITH l(doc, tokens) AS MATERIALIZED ($lens)
          SELECT (SELECT count(*) FROM ($toks EXCEPT SELECT * FROM l))
          + (SELECT count(*) FROM (SELECT * FROM l EXCEPT $toks))")
    expect_eq "each document's tf sum equals its counted tokens" 0 "$bad"
    # Counted tokens are the tokens less the stop words: over the corpus,
    # tokens - counted = occurrences of stop-word types.
    # Boilerplate lines left out (doc_boilerplate.tokens) are the rest.
    bad=$(q "$db" "SELECT (SELECT coalesce(sum(k.tokens), 0) FROM doc_tokens k
                           JOIN doc_lengths l ON l.doc = k.doc)
                 - (SELECT coalesce(sum(tokens), 0) FROM doc_lengths)
                 - (SELECT coalesce(sum(cf), 0) FROM types WHERE stopword)
                 - (SELECT coalesce(sum(b.tokens), 0) FROM doc_boilerplate b
                    JOIN doc_lengths l ON l.doc = b.doc)")
    expect_eq "tokens - counted tokens = stop words + boilerplate left out" 0 "$bad"
    bad=$(q "$db" "SELECT (SELECT coalesce(sum(cf), 0) FROM types)
                 - (SELECT coalesce(sum(k.tokens), 0) FROM doc_tokens k
                    JOIN doc_lengths l ON l.doc = k.doc)")
    expect_eq "types.cf sums to the tokens of stemmed documents" 0 "$bad"
    # Each stem's surface is its most frequent type, ties to the smallest
    # (opine computes it in memory; this is the definition in SQL). Only
    # where surfaces were chosen: tokenize and ingest leave them NULL.
    bad=$(q "$db" "SELECT count(*) FROM stems s WHERE s.surface IS NOT
                     (SELECT type FROM types t WHERE t.stem = s.id
                      ORDER BY cf DESC, type LIMIT 1)
                   AND EXISTS (SELECT 1 FROM stems WHERE surface IS NOT NULL)")
    expect_eq "every stem's surface is its most frequent type" 0 "$bad"
    # a type is one (form, language); since types_text the file does not
    # enforce it (pipeline/store.c), opine's vocabulary does
    bad=$(q "$db" "SELECT count(*) FROM (SELECT 1 FROM types
                   GROUP BY type, lang HAVING count(*) > 1)")
    expect_eq "no two types share a form and a language" 0 "$bad"
    bad=$(q "$db" "SELECT count(*) FROM types WHERE cf > 0 AND stem IS NULL")
    expect_eq "every counted type has a stem" 0 "$bad"
    # The term vectors (doc_vectors) and the similarity index hold what
    # doc_terms holds: opine similar --check decodes every blob (a file
    # whose documents were never stemmed has neither).
    if [ "$(q "$db" "SELECT count(*) FROM sqlite_schema
                     WHERE name = 'similar_docs'")" = 1 ]; then
        "$OPINE" similar "$db" --check >"$WORK/check_exact.out" 2>&1 ||
            fail "opine similar --check $(basename "$db"): $(cat "$WORK/check_exact.out")"
        ok "term vectors and postings equal doc_terms in $(basename "$db")"
    fi
}

# A statement that gives one database's term statistics by text, so that
# two databases compare whatever ids they assigned.
terms_by_text() {
    local s=$1
    echo "SELECT st.stem, t.df, t.cf FROM $s.terms t
          JOIN $s.stems st ON st.id = t.stem"
}

# same_stats DB1 DB2: terms and doc_terms hold the same content, whatever
# ids each database assigned. terms (a few thousand rows) by text, with
# EXCEPT both ways. doc_terms (hundreds of thousands: this was most of
# e2e_faults' time) in one statement: DB2's rows with its ids turned into
# DB1's (documents by hash, stems by language and text; both unique, so
# the mapping is one to one), then one EXCEPT gives DB1's rows that DB2
# lacks, and DB2's that DB1 lacks follow from the counts, as the rows of
# each are unique (doc_terms' key is doc, stem): |B \ A| = |B| - |A| +
# |A \ B|.
same_stats() {
    local a=$1 b=$2 what=$3 n na nb
    local an bn
    an=$(basename "$a") bn=$(basename "$b")
    n=$(q "$a" "ATTACH '$b' AS other;
        SELECT count(*) FROM ($(terms_by_text main) EXCEPT $(terms_by_text other));")
    expect_eq "$what: terms_by_text of $an EXCEPT $bn" 0 "$n"
    n=$(q "$a" "ATTACH '$b' AS other;
        SELECT count(*) FROM ($(terms_by_text other) EXCEPT $(terms_by_text main));")
    expect_eq "$what: terms_by_text of $bn EXCEPT $an" 0 "$n"
    read -r na nb <<<"$(q -separator ' ' "$a" "ATTACH '$b' AS other;
        CREATE TEMP TABLE dmap AS SELECT o.id AS oid, m.id AS mid
            FROM other.documents o JOIN main.documents m ON m.hash = o.hash;
        CREATE TEMP TABLE smap AS SELECT o.id AS oid, m.id AS mid
            FROM other.stems o JOIN main.stems m
            ON m.lang = o.lang AND m.stem = o.stem;
        SELECT n, (SELECT count(*) FROM other.doc_terms)
                  - (SELECT count(*) FROM main.doc_terms) + n
        FROM (SELECT count(*) AS n FROM (
            SELECT doc, stem, tf FROM main.doc_terms
            EXCEPT SELECT dmap.mid, smap.mid, t.tf FROM other.doc_terms t
                JOIN temp.dmap ON dmap.oid = t.doc
                JOIN temp.smap ON smap.oid = t.stem));")"
    expect_eq "$what: doc_terms of $an EXCEPT $bn" 0 "$na"
    expect_eq "$what: doc_terms of $bn EXCEPT $an" 0 "$nb"
}

# same_rows A B WHAT TABLE...: the tables hold exactly the same rows, ids
# and all (EXCEPT both ways, and the same count), in databases A and B.
same_rows() {
    local a=$1 b=$2 what=$3 t n
    shift 3
    for t in "$@"; do
        n=$(q "$a" "ATTACH '$b' AS other;
            SELECT (SELECT count(*) FROM (SELECT * FROM main.$t
                                          EXCEPT SELECT * FROM other.$t))
                 + (SELECT count(*) FROM (SELECT * FROM other.$t
                                          EXCEPT SELECT * FROM main.$t))
                 + abs((SELECT count(*) FROM main.$t)
                       - (SELECT count(*) FROM other.$t));")
        expect_eq "$what: $t row for row" 0 "$n"
    done
}

# wait_stopped PID WHAT: until the process is stopped (at an
# OPINE_FAULT=POINT:stop, or by a kill -STOP of its own); fails if it ends
# instead.
wait_stopped() {
    local pid=$1 state n=0
    while :; do
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || state=gone
        case $state in
        T) return 0 ;;
        gone | Z) fail "$2: the process ended before it stopped" ;;
        esac
        n=$((n + 1))
        [ "$n" -lt 6000 ] || fail "$2: not stopped after 5 minutes"
        sleep 0.05
    done
}

# same_results A B WHAT: everything runs compute is the same in A and B,
# ids and all: every result table row for row (EXCEPT both ways and the
# same count), leaving out only what says when and by which run a row was
# written (the runs and rejects tables, the run columns, models.loaded,
# meta's created).
RESULT_TABLES=(
    "documents:id, hash, ext_id, source, position, title, author, outlet,
     published, url, bytes, body, lang"
    "duplicates:doc, source, position, ext_id"
    "doc_meta:*" "types:*" "stems:*" "doc_tokens:*" "doc_terms:*" "terms:*"
    "doc_lengths:*" "stage_done:stage, doc"
    "models:id, name, version, hash, language, window, negation_scope,
     prior, interval, text"
    "themes:*" "doc_scores:*" "evidence:*" "contributions:*" "meta:key, value")
result_diff() { # result_diff A B: the tables that differ, with counts
    local a=$1 b=$2 spec t c w sql
    sql="ATTACH '$b' AS other;"
    for spec in "${RESULT_TABLES[@]}"; do
        t=${spec%%:*} c=${spec#*:} w=""
        [ "$t" = meta ] && w="WHERE key <> 'created'"
        sql="$sql SELECT '$t', (SELECT count(*) FROM (
                SELECT $c FROM main.$t $w EXCEPT SELECT $c FROM other.$t $w))
            + (SELECT count(*) FROM (
                SELECT $c FROM other.$t $w EXCEPT SELECT $c FROM main.$t $w))
            + abs((SELECT count(*) FROM main.$t $w)
                  - (SELECT count(*) FROM other.$t $w));"
    done
    q -separator ' ' "$a" "$sql" | awk '$2 != 0 { printf "%s ", $0 }'
}
same_results() {
    expect_eq "$3: every result table row for row (${#RESULT_TABLES[@]} tables)" \
        "" "$(result_diff "$1" "$2")"
}

# done_testing: the closing line ctest logs show.
done_testing() {
    [ ! -s "$WORK/valgrind-errors" ] ||
        fail "valgrind found errors (above, and in each opine's report)"
    if compgen -G "$WORK/tsan.*" >/dev/null; then
        cat "$WORK"/tsan.* >&2
        fail "ThreadSanitizer reported (above)"
    fi
    echo "$PASSED passed, 0 failed"
}
