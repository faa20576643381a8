# tests/e2e_stopwords.sh — stop words stay in doc_tokens, are flagged in
# types and left out of doc_terms; --stopwords LANG|FILE|none; one list per
# database.
. "$(dirname "$0")/lib.sh"
SAMPLES=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz

run_opine 0 run "$WORK/en.db" "$SAMPLES" -q
expect_eq "the language's list by default" english \
    "$(q "$WORK/en.db" "SELECT value FROM meta WHERE key = 'stopwords'")"
expect_eq "stop words flagged in types" "the|1
alliance|0" "$(q "$WORK/en.db" "SELECT type, stopword FROM types WHERE type IN ('the', 'alliance') ORDER BY type DESC")"
# Stop words are types ("others" is not a stop word, "other" is): a stem
# is a term when one of its types is counted, and its cf is theirs alone.
expect_eq "a stem whose types are all stop words is no term" 0 \
    "$(q "$WORK/en.db" "SELECT count(*) FROM terms t WHERE NOT EXISTS (SELECT 1 FROM types y WHERE y.stem = t.stem AND NOT y.stopword)")"
expect_eq "a term's cf counts its non-stop types only" 0 \
    "$(q "$WORK/en.db" "SELECT count(*) FROM terms t WHERE cf != (SELECT sum(cf) FROM types y WHERE y.stem = t.stem AND NOT y.stopword)")"
expect_eq "but stay in the token streams" 1 \
    "$(q "$WORK/en.db" "SELECT (SELECT sum(tokens) FROM doc_tokens) > (SELECT sum(tokens) FROM doc_lengths)")"
check_exact "$WORK/en.db"

run_opine 0 run "$WORK/none.db" "$SAMPLES" --stopwords none -q
check_exact "$WORK/none.db"
expect_eq "--stopwords none counts every token" 0 \
    "$(q "$WORK/none.db" "SELECT (SELECT sum(tokens) FROM doc_tokens) - (SELECT sum(tokens) FROM doc_lengths)")"
expect_eq "'the' is a term without a stop list" 1 \
    "$(q "$WORK/none.db" "SELECT count(*) FROM terms t JOIN stems s ON s.id = t.stem WHERE s.stem = 'the'")"
# Stage by stage with none equals run with none.
run_opine 0 ingest "$WORK/none2.db" "$SAMPLES" -q
run_opine 0 tokenize "$WORK/none2.db" -q
run_opine 0 stem "$WORK/none2.db" --stopwords none -q
same_stats "$WORK/none.db" "$WORK/none2.db" "stopwords none: staged = run"
# The same scores either way: negators stay visible to the scorer.
expect_eq "scores do not depend on the stop list" 0 "$(q "$WORK/en.db" "ATTACH '$WORK/none.db' AS o;
    SELECT count(*) FROM (SELECT doc, theme, evidence, stance FROM doc_scores
    EXCEPT SELECT doc, theme, evidence, stance FROM o.doc_scores)")"

printf '# our own list\nalliance\nKorea’s\n' >"$WORK/mine.txt"
run_opine 0 run "$WORK/file.db" "$SAMPLES" --stopwords "$WORK/mine.txt" -q
expect_eq "a list from a file" "alliance korea" \
    "$(q "$WORK/file.db" "SELECT group_concat(type, ' ') FROM (SELECT type FROM types WHERE stopword ORDER BY type)")"
check_exact "$WORK/file.db"

run_opine 2 run "$WORK/en.db" "$OPINE_TESTDATA/batch2.jsonl" --stopwords none
grep -q "stemmed with stop words 'english'" "$WORK/err" || fail "mixing lists: $(cat "$WORK/err")"
ok "a database keeps one stop list"
printf 'in order\n' >"$WORK/bad.txt"
run_opine 2 run "$WORK/bad.db" "$SAMPLES" --stopwords "$WORK/bad.txt"
grep -q "bad.txt:1:" "$WORK/err" || fail "a bad list names file and line: $(cat "$WORK/err")"
ok "a bad list names its file and line"

printf '{"id": "de1", "text": "Die Allianz und die Städte der Welt sind nicht allein."}\n' >"$WORK/de.jsonl"
run_opine 0 run "$WORK/de.db" "$WORK/de.jsonl" --lang german -q
expect_eq "German list with --lang german" "german|allein allianz stadt welt" \
    "$(q "$WORK/de.db" "SELECT (SELECT value FROM meta WHERE key = 'stopwords'), group_concat(stem, ' ') FROM (SELECT s.stem FROM terms t JOIN stems s ON s.id = t.stem ORDER BY 1)")"
done_testing
