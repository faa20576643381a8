# tests/e2e_kill.sh — opine run killed with SIGKILL at several moments and
# rerun gives the same terms as an uninterrupted run, and a sound database.
. "$(dirname "$0")/lib.sh"
bash "$(dirname "$0")/gen_corpus.sh" 12000 11 | gzip -1 >"$WORK/corpus.jsonl.gz"

start=$(date +%s.%N)
run_opine 0 run "$WORK/ref.db" "$WORK/corpus.jsonl.gz" -q
secs=$(echo "$(date +%s.%N) - $start" | bc -l)
total=$(q "$WORK/ref.db" "SELECT count(*) FROM documents")
echo "# uninterrupted run: $total documents in $secs s"

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
    if [ "$rc" = 137 ] && [ "$have" -lt "$total" ]; then
        mid=$((mid + 1))
        expect_eq "integrity after kill at $when" ok \
            "$(q "$WORK/killed.db" "PRAGMA integrity_check")"
        check_exact "$WORK/killed.db"
    fi
done
[ "$mid" -ge 3 ] || fail "only $mid kills landed in the middle of a run"
ok "$mid kills landed mid-run"
expect_eq "killed runs are marked interrupted" 1 \
    "$(q "$WORK/killed.db" "SELECT count(*) >= 1 FROM runs WHERE status = 'interrupted'")"

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
# Ctrl-C (SIGINT) mid-run: opine stops after the batches in flight, keeps
# what they wrote, says so (exit 2, status 'interrupted'), and a rerun
# finishes with the same result.
"$OPINE" run "$WORK/int.db" --commit-every 1 "$WORK/corpus.jsonl.gz" -q \
    2>"$WORK/int.err" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    n=$(q "$WORK/int.db" "SELECT count(*) FROM documents" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.02
done
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
have=$(q "$WORK/int.db" "SELECT count(*) FROM documents")
echo "# interrupted (exit $rc): $have documents stored"
if [ "$have" -lt "$total" ]; then
    expect_eq "Ctrl-C: exit status" 2 "$rc"
    grep -q "interrupted" "$WORK/int.err" || fail "Ctrl-C: no message: $(cat "$WORK/int.err")"
    ok "Ctrl-C: says the run was interrupted"
    expect_eq "Ctrl-C: the run is marked" interrupted \
        "$(q "$WORK/int.db" "SELECT status FROM runs")"
    expect_eq "Ctrl-C: integrity" ok "$(q "$WORK/int.db" "PRAGMA integrity_check")"
    check_exact "$WORK/int.db"
fi
run_opine 0 run "$WORK/int.db" "$WORK/corpus.jsonl.gz" -q
same_stats "$WORK/ref.db" "$WORK/int.db" "interrupted and resumed = uninterrupted"
done_testing
