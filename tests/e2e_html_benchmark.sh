# tests/e2e_html_benchmark.sh — article extraction on the 88 real pages of
# ../shared/corpora/article-extraction, scored with the benchmark's own
# metric (bench/html_extract_score.py): F1 >= 0.95 over all pages, and
# every page gives a document. Not timed (speed is bench/html-extract's).
. "$(dirname "$0")/lib.sh"
AE=$OPINE_SHARED/corpora/article-extraction
[ -f "$AE/ground-truth.json" ] || skip "no $AE (../shared is absent)"
command -v python3 >/dev/null || skip "needs python3 for the metric"

run_opine 0 extract --json "$AE/html"
expect_eq "every page gives its article" "$(ls "$AE/html" | wc -l)" \
    "$(wc -l <"$WORK/out")"
python3 "$OPINE_SRC/bench/html_extract_score.py" "$AE/ground-truth.json" \
    "$WORK/out" --split=all >"$WORK/score"
cat "$WORK/score"
f1=$(sed -n 's/.* f1 \([0-9.]*\)$/\1/p' "$WORK/score")
[ -n "$f1" ] || fail "no F1 in: $(cat "$WORK/score")"
[ "$(echo "$f1 >= 0.95" | bc)" = 1 ] || fail "F1 $f1 below 0.95"
ok "F1 $f1 >= 0.95 on the benchmark's pages"
done_testing
