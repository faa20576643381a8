# tests/e2e_iofault.sh — opine meeting an I/O error at every write, sync
# and read of a small run, as SQLite's own I/O-error tests do: the command
# line built over a VFS that fails the N-th call (opine_iofault,
# tests/vfs_fault.c), for N over every call the run makes. Each time
# opine exits 2 with a message that names the database (or, where the
# failed call was one SQLite may do without, finishes with every result),
# the file passes PRAGMA integrity_check, and a rerun without the fault
# ends with every result table row for row as an uninterrupted run's.
# Two runs: the first, which creates the file (a rollback journal), and a
# second into it (WAL). Writes fail with an I/O error once, or find the
# disk full from then on.
#
# About 500 runs and as many reruns: they score with the lexicon model
# (v1 loads in a fraction of v2's time; the database work is the same),
# and the files live in /dev/shm when there is one (the faults are made
# above the file system, and a disk's syncs cost the test a minute). The
# sanitizer build takes every STEP-th N (STEP below) to stay within two
# minutes; the release build takes every N.
. "$(dirname "$0")/lib.sh"
F=${OPINE_IOFAULT_BIN:-}
[ -x "$F" ] || skip "no opine_iofault binary (OPINE_IOFAULT_BIN)"
DB_DIR=$WORK
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    DB_DIR=$(mktemp -d /dev/shm/opine-iofault.XXXXXX)
    trap 'rm -rf "$WORK" "$DB_DIR"' EXIT
fi
STEP=1
[ "${OPINE_SANITIZE:-OFF}" = ON ] && STEP=${IOFAULT_STEP:-3}
MODEL=(--model us-rok-alliance@1)

# Input a: made-up text and op-eds the model finds sides in; input b: more
# of both. Small, so that a run makes few hundred writes.
bash "$(dirname "$0")/gen_corpus.sh" 30 11 >"$WORK/a.jsonl"
cat "$OPINE_TESTDATA/batch1.jsonl" >>"$WORK/a.jsonl"
bash "$(dirname "$0")/gen_corpus.sh" 30 12 | sed 's/"id": "g/"id": "h/' \
    >"$WORK/b.jsonl"
gzip -dc "$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz" >>"$WORK/b.jsonl"

run_opine 0 run "$WORK/ref-a.db" "$WORK/a.jsonl" -q "${MODEL[@]}"
cp "$WORK/ref-a.db" "$WORK/base.db"
run_opine 0 run "$WORK/ref-ab.db" "$WORK/a.jsonl" -q "${MODEL[@]}"
run_opine 0 run "$WORK/ref-ab.db" "$WORK/b.jsonl" -q "${MODEL[@]}"
expect_eq "the references have stances and evidence to compare" "1 1" \
    "$(q "$WORK/ref-ab.db" "SELECT (SELECT count(*) > 0 FROM doc_scores
                                     WHERE stance IS NOT NULL) || ' ' ||
                                  (SELECT count(*) > 0 FROM evidence)")"

# The fault binary without a fault is opine: same results.
run_fault() { # run_fault SPEC DB INPUT [BASE]: opine_iofault run, rc in $rc
    rm -f "$2" "$2-journal" "$2-wal" "$2-shm"
    [ -z "${4:-}" ] || cp "$4" "$2"
    rc=0
    OPINE_IOFAULT=$1 OPINE_IOFAULT_COUNT=$WORK/count "$F" run "$2" "$3" -q \
        "${MODEL[@]}" >/dev/null 2>"$WORK/err" || rc=$?
}
run_fault "" "$DB_DIR/plain.db" "$WORK/a.jsonl"
expect_eq "opine_iofault without a fault exits 0" 0 "$rc"
same_results "$WORK/ref-a.db" "$DB_DIR/plain.db" "opine_iofault without a fault"
read -r _ writes_a _ syncs_a _ reads_a <"$WORK/count"
run_fault "" "$DB_DIR/plain.db" "$WORK/b.jsonl" "$WORK/base.db"
read -r _ writes_b _ syncs_b _ reads_b <"$WORK/count"
echo "# first run: $writes_a writes, $syncs_a syncs, $reads_a reads;" \
    "second run: $writes_b writes, $syncs_b syncs, $reads_b reads"
[ "$writes_a" -gt 50 ] && [ "$syncs_a" -gt 2 ] && [ "$reads_a" -gt 2 ] &&
    [ "$writes_b" -gt 5 ] && [ "$syncs_b" -gt 0 ] && [ "$reads_b" -gt 2 ] ||
    fail "the wrapper counted too few calls to test"
ok "the wrapper sees the runs' writes, syncs and reads"

# sweep WHAT KIND TOTAL INPUT REF [BASE]: for N = 1..TOTAL, a run (on a
# copy of BASE, or a new file) whose N-th call of KIND fails.
sweep() {
    local what=$1 kind=$2 total=$3 input=$4 ref=$5 base=${6:-} n d
    local db=$DB_DIR/f.db failed=0 absorbed=0 runs=0
    for ((n = 1; n <= total; n += STEP)); do
        runs=$((runs + 1))
        local spec=$kind@$n
        run_fault "$spec" "$db" "$input" "$base"
        grep -q "opine: I/O fault: $kind $n " "$WORK/err" ||
            fail "$what, $spec: the fault was not reached: $(cat "$WORK/err")"
        case $rc in
        2)
            failed=$((failed + 1))
            grep -qF "'$db'" "$WORK/err" ||
                fail "$what, $spec: the message does not name the database: $(cat "$WORK/err")"
            if grep -Eiq "SQL logic|constraint|misuse" "$WORK/err"; then
                fail "$what, $spec: an internal error: $(cat "$WORK/err")"
            fi
            ;;
        0)
            # SQLite may do without this call (a checkpoint as the file
            # closes): then the run must have finished everything.
            absorbed=$((absorbed + 1))
            d=$(result_diff "$ref" "$db")
            [ -z "$d" ] ||
                fail "$what, $spec: exit 0 but results differ: $d"
            ;;
        *) fail "$what, $spec: exit $rc: $(cat "$WORK/err")" ;;
        esac
        d=$(q "$db" "PRAGMA integrity_check" 2>&1)
        [ "$d" = ok ] || fail "$what, $spec: integrity_check: $d"
        rc=0
        "$OPINE" run "$db" "$input" -q "${MODEL[@]}" >/dev/null 2>"$WORK/err" || rc=$?
        [ "$rc" = 0 ] || fail "$what, $spec: the rerun exits $rc: $(cat "$WORK/err")"
        d=$(result_diff "$ref" "$db")
        [ -z "$d" ] || fail "$what, $spec: the rerun's results differ: $d"
    done
    echo "# $what: $failed runs stopped with exit 2, $absorbed finished"
    ok "$what: each of $runs faults (of $total, every $STEP): exit 2 naming" \
        "the database or every result, a sound file, a rerun = uninterrupted"
}

sweep "first run, every write fails once" write "$writes_a" \
    "$WORK/a.jsonl" "$WORK/ref-a.db"
sweep "first run, every sync fails once" sync "$syncs_a" \
    "$WORK/a.jsonl" "$WORK/ref-a.db"
sweep "first run, every read fails once" read "$reads_a" \
    "$WORK/a.jsonl" "$WORK/ref-a.db"
sweep "second run, every write fails once" write "$writes_b" \
    "$WORK/b.jsonl" "$WORK/ref-ab.db" "$WORK/base.db"
sweep "second run, every sync fails once" sync "$syncs_b" \
    "$WORK/b.jsonl" "$WORK/ref-ab.db" "$WORK/base.db"
sweep "second run, every read fails once" read "$reads_b" \
    "$WORK/b.jsonl" "$WORK/ref-ab.db" "$WORK/base.db"
sweep "first run, the disk full from each write on" full "$writes_a" \
    "$WORK/a.jsonl" "$WORK/ref-a.db"
sweep "second run, the disk full from each write on" full "$writes_b" \
    "$WORK/b.jsonl" "$WORK/ref-ab.db" "$WORK/base.db"
done_testing
