# tests/e2e_kill.sh — opine run killed with SIGKILL at several moments and
# rerun gives the same terms as an uninterrupted run, and a sound database.
. "$(dirname "$0")/lib.sh"
bash "$(dirname "$0")/gen_corpus.sh" 12000 11 | gzip -1 >"$WORK/corpus.jsonl.gz"

start=$(date +%s.%N)
run_opine 0 run "$WORK/ref.db" "$WORK/corpus.jsonl.gz" -q
secs=$(echo "$(date +%s.%N) - $start" | bc -l)
total=$(q "$WORK/ref.db" "SELECT count(*) FROM documents")
echo "# uninterrupted run: $total documents in $secs s"

# Kill the same database's run again and again at growing fractions of the
# uninterrupted time; every rerun resumes what the previous one left.
mid=0
for frac in 0.05 0.2 0.35 0.5 0.7 0.9; do
    t=$(echo "$secs * $frac" | bc -l)
    rc=0
    timeout -s KILL "$t" "$OPINE" run "$WORK/killed.db" --commit-every 1 \
        "$WORK/corpus.jsonl.gz" -q 2>/dev/null || rc=$?
    have=$(q "$WORK/killed.db" "SELECT count(*) FROM documents" 2>/dev/null || echo 0)
    echo "# killed after ${t}s (exit $rc): $have documents stored"
    if [ "$rc" = 137 ] && [ "$have" -lt "$total" ]; then
        mid=$((mid + 1))
        expect_eq "integrity after kill at ${frac}" ok \
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
done_testing
