# tests/e2e_kill.sh — opine run killed with SIGKILL at random moments, and
# stopped by Ctrl-C and a closed terminal at random moments, then rerun:
# whatever the moment, a sound database, and the rerun gives the same terms
# as an uninterrupted run. Where the kills land depends on the machine's
# speed and load, so no outcome is required of any one of them: a kill
# before the first commit (an empty file) is as legitimate as one mid-run
# or after the end. The deterministic kills are elsewhere, so that every
# case is checked on every machine: e2e_faults stops runs and opine score
# at each named point (pipeline/fault.h), e2e_iofault kills them in place
# of every second write, mid-COMMIT included; bench/kills kills a run on
# real text 50 times at seeded random moments.
. "$(dirname "$0")/lib.sh"
# 6,000 documents, about 6 MiB: 6 commits at --commit-every 1, enough for
# the kills at a third and two thirds of the documents to land between
# commits, with a run left to go (12,000 once: twice the time, in all
# three builds, for no case more).
bash "$(dirname "$0")/gen_corpus.sh" 6000 11 | gzip -1 >"$WORK/corpus.jsonl.gz"

run_opine 0 run "$WORK/ref.db" "$WORK/corpus.jsonl.gz" -q
total=$(q "$WORK/ref.db" "SELECT count(*) FROM documents")

# What a stop left, whenever it landed: status and sql answer (an empty
# file is explained, not an error), and a database with tables is sound
# and exact.
check_stopped() { # check_stopped DB WHAT
    local db=$1 what=$2
    run_opine 0 status "$db"
    if grep -q "no run has committed anything" "$WORK/out"; then
        expect_eq "$what: left no table (nothing committed)" 0 \
            "$(q "$db" "SELECT count(*) FROM sqlite_schema")"
        return
    fi
    run_opine 0 sql "$db" "SELECT count(*) FROM documents"
    expect_eq "integrity after $what" ok "$(q "$db" "PRAGMA integrity_check")"
    check_exact "$db"
}

# Kill the same database's run again and again; every rerun resumes what
# the previous one left. The first kills come at fixed moments (while
# starting, before the first commit); the others when the database shows
# a given share of the documents, so they land mid-run however fast or
# loaded the machine is. Commits every MiB give the run several.
kill_at() { # kill_at SECONDS | kill_at -docs N
    rc=0
    "$OPINE" run "$WORK/killed.db" --commit-every 1 "$WORK/corpus.jsonl.gz" \
        -q 2>/dev/null &
    pid=$!
    if [ "$1" = -docs ]; then
        while kill -0 "$pid" 2>/dev/null; do
            n=$(q "$WORK/killed.db" "SELECT count(*) FROM documents" 2>/dev/null || echo 0)
            [ "${n:-0}" -ge "$2" ] && break
            sleep 0.02
        done
    else
        sleep "$1"
    fi
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
}
mid=0
for when in 0.05 0.2 "-docs 1" "-docs $((total / 3))" "-docs $((total * 2 / 3))"; do
    kill_at $when
    have=$(q "$WORK/killed.db" "SELECT count(*) FROM documents" 2>/dev/null || echo 0)
    echo "# killed at $when (exit $rc): $have documents stored"
    [ "$rc" = 137 ] && [ "$have" -lt "$total" ] && mid=$((mid + 1))
    check_stopped "$WORK/killed.db" "kill at $when"
done
echo "# $mid kills landed before the end of a run"
if [ "$mid" -gt 0 ] && [ "$have" -gt 0 ]; then
    expect_eq "killed runs are marked interrupted" 1 \
        "$(q "$WORK/killed.db" "SELECT count(*) >= 1 FROM runs WHERE status = 'interrupted'")"
fi

run_opine 0 run "$WORK/killed.db" "$WORK/corpus.jsonl.gz" -q
expect_eq "integrity after the final rerun" ok \
    "$(q "$WORK/killed.db" "PRAGMA integrity_check")"
expect_eq "every document stored once" "$total" \
    "$(q "$WORK/killed.db" "SELECT count(*) FROM documents")"
expect_eq "no document counted as a duplicate of itself" 0 \
    "$(q "$WORK/killed.db" "SELECT count(*) FROM duplicates")"
check_exact "$WORK/killed.db"
same_stats "$WORK/ref.db" "$WORK/killed.db" "killed and resumed = uninterrupted"
expect_eq "same surface forms" 0 "$(q "$WORK/ref.db" "ATTACH '$WORK/killed.db' AS k;
    SELECT count(*) FROM (SELECT stem, surface FROM stems EXCEPT SELECT stem, surface FROM k.stems)")"
# Ctrl-C (SIGINT) and a closed terminal (SIGHUP) mid-run: opine stops
# after the batches in flight, keeps what they wrote, says so (exit 2,
# status 'interrupted'), and a rerun finishes with the same result.
for sig in INT HUP; do
    db="$WORK/$sig.db"
    "$OPINE" run "$db" --commit-every 1 "$WORK/corpus.jsonl.gz" -q \
        2>"$WORK/sig.err" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        n=$(q "$db" "SELECT count(*) FROM documents" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge 1 ] && break
        sleep 0.02
    done
    kill -$sig "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" || rc=$?
    have=$(q "$db" "SELECT count(*) FROM documents")
    echo "# SIG$sig (exit $rc): $have documents stored"
    if [ "$rc" != 0 ]; then
        # (another status: show what the run said, a sanitizer's report
        # included)
        [ "$rc" = 2 ] || cat "$WORK/sig.err" >&2
        expect_eq "SIG$sig: exit status" 2 "$rc"
        grep -q "interrupted" "$WORK/sig.err" ||
            fail "SIG$sig: no message: $(cat "$WORK/sig.err")"
        ok "SIG$sig: says the run was interrupted"
        expect_eq "SIG$sig: the run is marked" interrupted \
            "$(q "$db" "SELECT status FROM runs")"
    fi
    check_stopped "$db" "SIG$sig"
    run_opine 0 run "$db" "$WORK/corpus.jsonl.gz" -q
    same_stats "$WORK/ref.db" "$db" "SIG$sig and resumed = uninterrupted"
done
done_testing
