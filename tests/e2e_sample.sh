# tests/e2e_sample.sh — what `make demo` does, as a test: opine run on the
# sample corpus (corpus/samples), then the two queries the README shows.
# Every document is stored, stemmed and scored, and each query answers:
# a row of top terms per outlet, stances with their evidence. Also run
# under valgrind (vg_e2e_sample) as the sample-corpus run.
. "$(dirname "$0")/lib.sh"
S=$OPINE_SRC/corpus/samples
db=$WORK/demo.db
run_opine 0 run "$db" "$S/oped-samples.jsonl.gz"
grep -q "run: 12 records read: 12 new documents, 0 duplicates" "$WORK/err" ||
    fail "no summary: $(cat "$WORK/err")"
ok "the run says what it read"
expect_eq "every document stored, stemmed and scored" "12 12 12" \
    "$(q "$db" "SELECT (SELECT count(*) FROM documents) || ' ' ||
        (SELECT count(*) FROM stage_done WHERE stage = 'stem') || ' ' ||
        (SELECT count(*) FROM stage_done WHERE stage LIKE 'score:%')")"
check_exact "$db"

run_opine 0 sql "$db" --table -f "$S/top-terms.sql"
q "$db" "SELECT DISTINCT outlet FROM documents" >"$WORK/outlets"
expect_eq "top terms: a row for each of the 4 outlets" "4 4" \
    "$(wc -l <"$WORK/outlets") $(grep -cFf "$WORK/outlets" "$WORK/out")"

run_opine 0 sql "$db" --table -f "$S/stance-table.sql"
n=$(grep -cE '^sample-[0-9]+ ' "$WORK/out" || true)
[ "$n" -gt 0 ] || fail "the stance table is empty: $(cat "$WORK/out")"
expect_eq "the stance table shows evidence where a row has some" \
    "$(q "$db" "SELECT count(*) FROM doc_scores s JOIN themes t
                ON t.id = s.theme JOIN models m ON m.id = t.model
                WHERE m.id = (SELECT max(id) FROM models) AND s.evidence > 0")" \
    "$(grep -cE '^sample-[0-9]+ .* [+-] [^ ]' "$WORK/out" || true)"
expect_eq "the stance table has a row for each scored document and theme" \
    "$n" "$(q "$db" "SELECT count(*) FROM doc_scores s JOIN themes t
                     ON t.id = s.theme JOIN models m ON m.id = t.model
                     WHERE m.id = (SELECT max(id) FROM models) AND s.stance IS NOT NULL")"
done_testing
