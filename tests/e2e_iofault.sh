# tests/e2e_iofault.sh — opine meeting an I/O error at its writes, syncs
# and reads, as SQLite's own I/O-error tests do: the command line built
# over a VFS that fails the N-th call (opine_iofault, tests/vfs_fault.c),
# for N over a sample of the calls a small command makes (below). Each
# time opine exits 2 with a message that names the database (or, where
# the failed call was one SQLite may do without, finishes with every
# result), the file passes PRAGMA integrity_check, and a rerun of the
# command without the fault ends with every result table row for row as
# an uninterrupted run's. Writes also find the disk full from the N-th
# on, and the process is killed in place of its N-th write (mid-COMMIT,
# mid-checkpoint, as the run's end is recorded: wherever a write falls).
# Three commands: a first run (a new file, a rollback journal), a second
# run into it (WAL), and opine score applying a new model version to
# every document.
#
# Which N: a deterministic sample of each sweep, chosen from a trace of
# the command's calls without a fault (OPINE_IOFAULT_TRACE): the first and
# the last call; the first call of each kind of fault point the VFS can
# tell apart (its file, and the calls just before and after it: the first
# journal write of a transaction, the journal header before its sync, the
# first database write after it, the last before the database's sync, a
# WAL frame, a checkpoint's write between WAL reads, ...); and every
# STRIDE-th call from an offset drawn from IOFAULT_SEED (fixed, so every
# run of the test makes the same calls fail; another seed samples other
# calls). Every sync of the first run is taken (each is a commit of some
# stage), one in two of the others', but in the sanitizer builds, which
# stretch each stride STEP times
# (IOFAULT_STEP, 8). IOFAULT_ALL=1 makes every N fail, as the test once
# did (some 1,600 commands; the sample is about 900).
#
# The runs score with the lexicon model (v1 loads in a fraction of v2's
# time; the database work is the same), and the files live in /dev/shm
# when there is one (the faults are made above the file system, and a
# disk's syncs would cost the test minutes).
. "$(dirname "$0")/lib.sh"
F=${OPINE_IOFAULT_BIN:-}
[ -x "$F" ] || skip "no opine_iofault binary (OPINE_IOFAULT_BIN)"
DB_DIR=$WORK
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    DB_DIR=$(mktemp -d /dev/shm/opine-iofault.XXXXXX)
    trap 'rm -rf "$WORK" "$DB_DIR"' EXIT
fi
STEP=1
[ "${OPINE_SANITIZE:-OFF}" = ON ] && STEP=${IOFAULT_STEP:-8}
SEED=${IOFAULT_SEED:-1}
ALL=${IOFAULT_ALL:-0}
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

# Three commands, each a scenario: the first run (a new file, a rollback
# journal), a second run into it (WAL), and opine score applying a new
# model version (the trained v2 after the lexicon) to every document.
cp "$WORK/ref-ab.db" "$WORK/ref-score.db"
run_opine 0 score "$WORK/ref-score.db" -q --model us-rok-alliance@2
expect_eq "the rescored reference has v2's stances" 1 \
    "$(q "$WORK/ref-score.db" "SELECT count(*) > 0 FROM v_stance
                               WHERE version = 2 AND stance IS NOT NULL")"
scenario() { # scenario NAME: sets S_BASE, S_REF and the command S_CMD
    case $1 in
    first) S_BASE="" S_REF=$WORK/ref-a.db
        S_CMD=(run "$WORK/a.jsonl" -q "${MODEL[@]}") ;;
    second) S_BASE=$WORK/base.db S_REF=$WORK/ref-ab.db
        S_CMD=(run "$WORK/b.jsonl" -q "${MODEL[@]}") ;;
    score) S_BASE=$WORK/ref-ab.db S_REF=$WORK/ref-score.db
        S_CMD=(score -q --model us-rok-alliance@2) ;;
    esac
}

# run_fault SPEC DB [TRACE]: opine_iofault runs the scenario's command on
# DB (a copy of its base, or a new file) with OPINE_IOFAULT=SPEC; exit in
# $rc, its calls counted in $WORK/count (and each traced to TRACE).
run_fault() {
    rm -f "$2" "$2-journal" "$2-wal" "$2-shm"
    [ -z "$S_BASE" ] || cp "$S_BASE" "$2"
    rc=0
    OPINE_IOFAULT=$1 OPINE_IOFAULT_COUNT=$WORK/count \
        OPINE_IOFAULT_TRACE=${3:-} \
        "$F" "${S_CMD[0]}" "$2" "${S_CMD[@]:1}" >/dev/null 2>"$WORK/err" ||
        rc=$?
}

# Without a fault, opine_iofault is opine: the same results. Count the
# calls each scenario makes, and trace them (one line each, counted).
declare -A calls
for sc in first second score; do
    scenario $sc
    rm -f "$WORK/trace-$sc"
    run_fault "" "$DB_DIR/plain.db" "$WORK/trace-$sc"
    expect_eq "$sc: opine_iofault without a fault exits 0" 0 "$rc"
    same_results "$S_REF" "$DB_DIR/plain.db" "$sc: opine_iofault without a fault"
    read -r _ w _ s _ r <"$WORK/count"
    calls[$sc-write]=$w calls[$sc-sync]=$s calls[$sc-read]=$r
    echo "# $sc: $w writes, $s syncs, $r reads"
    [ "$w" -gt 5 ] && [ "$s" -gt 0 ] && [ "$r" -gt 2 ] ||
        fail "$sc: the wrapper counted too few calls to test"
    expect_eq "$sc: the trace has every call, numbered 1 to the count" \
        "$w $s $r" "$(for k in write sync read; do
            awk -v k=$k '$2 == k { if ($3 != ++n) bad = 1 }
                END { print bad ? "gap" : n + 0 }' "$WORK/trace-$sc"
        done | paste -sd' ')"
done
ok "the wrapper sees the commands' writes, syncs and reads"

# sample TRACE KIND STRIDE OFFSET: the N to fail of the calls of KIND
# (write, sync or read) in TRACE, one a line: the first and the last, the
# first of each kind of fault point (its file and the calls either side of
# it), and every N with N - 1 = OFFSET modulo STRIDE.
sample() {
    sort -n "$1" | awk -v k="$2" -v stride="$3" -v off="$4" '
    { kind[NR] = $2; n[NR] = $3; file[NR] = $4; if ($2 == k) last = $3 }
    END {
        for (i = 1; i <= NR; i++) {
            if (kind[i] != k)
                continue
            point = file[i] " after " \
                (i > 1 ? kind[i - 1] " " file[i - 1] : "start") " before " \
                (i < NR ? kind[i + 1] " " file[i + 1] : "end")
            if (n[i] == 1 || n[i] == last || !(point in seen) ||
                (n[i] - 1) % stride == off)
                print n[i]
            seen[point] = 1
        }
    }'
}

# sweep SCENARIO KIND STRIDE WHAT: for the sample of the calls of KIND
# (writes for full and kill) the scenario makes, with STRIDE (times STEP),
# its command with the N-th call failing (or, for kill, killed in place of
# the N-th write); then the checks above, and a rerun of the same command.
sweep() {
    local sc=$1 kind=$2 stride=$(($3 * STEP)) what="$1: $4" n d spec
    local db=$DB_DIR/f.db failed=0 absorbed=0 runs=0 total base=$2 off
    local ends=""
    scenario "$sc"
    case $kind in full | kill) base=write ;; esac
    total=${calls[$sc-$base]}
    [ "$ALL" = 1 ] && stride=1
    off=$(($(echo "$SEED $sc $kind" | cksum | cut -d' ' -f1) % stride))
    for n in $(sample "$WORK/trace-$sc" $base $stride $off); do
        runs=$((runs + 1))
        [ "$n" = 1 ] && ends="1"
        [ "$n" = "$total" ] && ends="$ends $n"
        spec=$kind@$n
        run_fault "$spec" "$db"
        grep -q "opine: I/O fault: $kind $n " "$WORK/err" ||
            fail "$what, $spec: the fault was not reached: $(cat "$WORK/err")"
        case $kind:$rc in
        kill:137) failed=$((failed + 1)) ;;
        kill:*) fail "$what, $spec: exit $rc, not SIGKILL's 137" ;;
        *:2)
            failed=$((failed + 1))
            grep -qF "'$db'" "$WORK/err" ||
                fail "$what, $spec: the message does not name the database: $(cat "$WORK/err")"
            if grep -Eiq "SQL logic|constraint|misuse" "$WORK/err"; then
                fail "$what, $spec: an internal error: $(cat "$WORK/err")"
            fi
            ;;
        *:0)
            # SQLite may do without this call (a checkpoint as the file
            # closes): then the command must have finished everything.
            absorbed=$((absorbed + 1))
            d=$(result_diff "$S_REF" "$db")
            [ -z "$d" ] ||
                fail "$what, $spec: exit 0 but results differ: $d"
            ;;
        *) fail "$what, $spec: exit $rc: $(cat "$WORK/err")" ;;
        esac
        d=$(q "$db" "PRAGMA integrity_check" 2>&1)
        [ "$d" = ok ] || fail "$what, $spec: integrity_check: $d"
        rc=0
        "$OPINE" "${S_CMD[0]}" "$db" "${S_CMD[@]:1}" >/dev/null \
            2>"$WORK/err" || rc=$?
        [ "$rc" = 0 ] ||
            fail "$what, $spec: the rerun exits $rc: $(cat "$WORK/err")"
        d=$(result_diff "$S_REF" "$db")
        [ -z "$d" ] || fail "$what, $spec: the rerun's results differ: $d"
    done
    # (a sample that lost its ends, or came out empty, fails)
    [ "$ends" = "1 $total" ] ||
        fail "$what: the sample lacks the first or the last of $total calls"
    local how="exit 2 naming the database"
    [ "$kind" = kill ] && how="killed"
    echo "# $what: $failed $how, $absorbed finished all the same"
    ok "$what: $runs runs (N = 1 to $total: each kind of point, every" \
        "$stride from $((off + 1))): $how or all done; a sound file; a" \
        "rerun = uninterrupted"
}

# Every sync of the first run fails once (each is a commit), one in two
# of the other two commands'; one in four writes of the first run, one in
# three reads; the disk is full from one in twelve writes on; the process
# is killed in place of one in eight. The other two commands go through
# the same code with fewer new paths: sparser strides. Each sweep also
# takes every kind of fault point it meets.
sweeps() { # sweeps SCENARIO WRITE SYNC READ FULL KILL: the strides
    sweep "$1" write "$2" "the N-th write fails"
    sweep "$1" sync "$3" "the N-th sync fails"
    sweep "$1" read "$4" "the N-th read fails"
    sweep "$1" full "$5" "the disk full from the N-th write on"
    sweep "$1" kill "$6" "killed in place of the N-th write"
}
sweeps first 4 1 3 12 8
sweeps second 6 2 4 12 8
sweeps score 6 2 4 12 10
done_testing
