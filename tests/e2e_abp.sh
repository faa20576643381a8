# tests/e2e_abp.sh — a slice of the real ABP corpus (../shared): messy
# metadata kept, duplicates counted, exact statistics, staged = run.
. "$(dirname "$0")/lib.sh"
ABP=$OPINE_SHARED/corpora/abp/articles.jsonl.gz
[ -f "$ABP" ] || skip "no $ABP (../shared is absent)"
# The first 2,500 articles (1,000 in the sanitizer builds: the same
# paths, and four runs of the larger slice took TSan 104 s of make
# test's 20 minutes), plus the first 20 again (exact duplicates).
# (zcat dies of SIGPIPE when head has enough: not an error here)
N=2500
sanitized && N=1000
{
    set +o pipefail
    zcat "$ABP" | head -n $N
    zcat "$ABP" | head -n 20
} | gzip -1 >"$WORK/slice.jsonl.gz"

run_opine 0 run "$WORK/run.db" "$WORK/slice.jsonl.gz" -q
expect_eq "every record is a document or a counted duplicate" $((N + 20)) \
    "$(q "$WORK/run.db" "SELECT records, documents + duplicates FROM runs" | cut -d'|' -f1)"
expect_eq "documents + duplicates = records" 1 \
    "$(q "$WORK/run.db" "SELECT records = documents + duplicates AND duplicates >= 20 FROM runs")"
expect_eq "a known article keeps its metadata" \
    "Bomb Suspect Changed After Trip Abroad, Friends Say|New York Times - News|N. R. Kleinfield|2016-09-20|1" \
    "$(q "$WORK/run.db" "SELECT title, outlet, author, published, url LIKE 'http://www.nytimes.com/2016/09/20/%' FROM documents WHERE ext_id = '004Gt3gcsotuiYmz'")"
expect_eq "topic and source_url kept as doc_meta" "terrorism|www.nytimes.com" \
    "$(q "$WORK/run.db" "SELECT max(CASE WHEN key = 'topic' THEN value END), max(CASE WHEN key = 'source_url' THEN value END) FROM doc_meta m JOIN documents d ON d.id = m.doc WHERE d.ext_id = '004Gt3gcsotuiYmz'")"
expect_eq "every document has title, outlet and url" 0 \
    "$(q "$WORK/run.db" "SELECT count(*) FROM documents WHERE title IS NULL OR outlet IS NULL OR url IS NULL")"
expect_eq "published dates are ISO or NULL" 0 \
    "$(q "$WORK/run.db" "SELECT count(*) FROM documents WHERE published IS NOT NULL AND published NOT GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'")"
expect_eq "stored text equals the source text" 1 \
    "$("$OPINE" sql "$WORK/run.db" "SELECT inflate(body) LIKE 'Besides his most recent trip to Quetta%' FROM documents WHERE ext_id = '004Gt3gcsotuiYmz'" | tail -n 1)"
check_exact "$WORK/run.db"

run_opine 0 ingest "$WORK/staged.db" "$WORK/slice.jsonl.gz" -q
run_opine 0 tokenize "$WORK/staged.db" -q
pending=$(q "$WORK/staged.db" "SELECT count(*) FROM types WHERE stem IS NULL")
run_opine 0 stem "$WORK/staged.db" -q
check_exact "$WORK/staged.db"
# opine stem made types_text again after stemming the types the tokenize
# left (all of them: it drops the index when a quarter or more wait, and
# at least 4,096)
expect_eq "the stem stage leaves types_text" "1|1" "$(q "$WORK/staged.db" \
    "SELECT count(*), $pending >= 4096 FROM sqlite_schema WHERE name = 'types_text'")"
expect_eq "staged: a prefix answers as in the run" \
    "$("$OPINE" search "$WORK/run.db" 'nucl*' --count)" \
    "$("$OPINE" search "$WORK/staged.db" 'nucl*' --count)"
same_stats "$WORK/run.db" "$WORK/staged.db" "ABP slice: staged = run"

run_opine 0 run "$WORK/j1.db" "$WORK/slice.jsonl.gz" -q -j 1
same_stats "$WORK/run.db" "$WORK/j1.db" "ABP slice: -j 1 = -j 2"
# Not only the same statistics: the same ids and rows, whatever -j is.
same_rows "$WORK/run.db" "$WORK/j1.db" "ABP slice: -j 1 = -j 2" doc_terms \
    terms doc_lengths types stems doc_tokens doc_scores evidence duplicates \
    documents doc_meta
done_testing
