# tests/e2e_pipeline.sh — the real opine binary on our fixtures: exact term
# statistics, stage by stage equal to all at once, incremental and
# idempotent runs, directories and standard input, bad input.
. "$(dirname "$0")/lib.sh"
D=$OPINE_TESTDATA
gzip -nc "$D/batch1.jsonl" >"$WORK/batch1.jsonl.gz"

# 1. opine run on gzip JSON lines stores every document with its metadata.
run_opine 0 run "$WORK/all.db" "$WORK/batch1.jsonl.gz" -q
expect_eq "run stores 6 documents" 6 "$(q "$WORK/all.db" "SELECT count(*) FROM documents")"
expect_eq "metadata kept" "Talk to Pyongyang|Test Gazette|Ben Ode; Cy Lam|2018-06-12|https://example.org/a2" \
    "$(q "$WORK/all.db" "SELECT title, outlet, author, published, url FROM documents WHERE ext_id = 'a2'")"
expect_eq "unparseable date kept raw" "|0001" \
    "$(q "$WORK/all.db" "SELECT d.published, m.value FROM documents d JOIN doc_meta m ON m.doc = d.id AND m.key = 'date_raw' WHERE ext_id = 'a6'")"
expect_eq "body is the text, compressed" 1 \
    "$("$OPINE" sql "$WORK/all.db" "SELECT inflate(body) LIKE 'Dialogue with North Korea%' FROM documents WHERE ext_id = 'a2'" | tail -n 1)"
expect_eq "every stage done" "6|6" \
    "$(q "$WORK/all.db" "SELECT sum(stage = 'tokenize'), sum(stage = 'stem') FROM stage_done")"
check_exact "$WORK/all.db"
expect_eq "run recorded ok" "run|ok|6|0" \
    "$(q "$WORK/all.db" "SELECT stage, status, documents, rejected FROM runs")"
expect_eq "'alliance' is the surface form of its stem" "allianc|alliance" \
    "$(q "$WORK/all.db" "SELECT stem, surface FROM stems WHERE stem = 'allianc'")"

# 2. Stage by stage gives the same doc_terms and terms as all at once.
run_opine 0 ingest "$WORK/staged.db" "$WORK/batch1.jsonl.gz" -q
expect_eq "ingest alone stores documents only" "6|0" \
    "$(q "$WORK/staged.db" "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM doc_tokens)")"
run_opine 0 tokenize "$WORK/staged.db" -q
expect_eq "tokenize fills doc_tokens, leaves types unstemmed" "6|0" \
    "$(q "$WORK/staged.db" "SELECT (SELECT count(*) FROM doc_tokens), (SELECT count(*) FROM types WHERE stem IS NOT NULL)")"
run_opine 0 stem "$WORK/staged.db" -q
check_exact "$WORK/staged.db"
same_stats "$WORK/all.db" "$WORK/staged.db" "staged = run"
expect_eq "same token streams" 0 "$(q "$WORK/all.db" "ATTACH '$WORK/staged.db' AS s;
    SELECT count(*) FROM (SELECT hex(d.hash), k.tokens, k.sentences FROM doc_tokens k JOIN documents d ON d.id = k.doc
    EXCEPT SELECT hex(d.hash), k.tokens, k.sentences FROM s.doc_tokens k JOIN s.documents d ON d.id = k.doc)")"

# 3. Idempotent: the same input again adds nothing and is not a duplicate.
run_opine 0 run "$WORK/all.db" "$WORK/batch1.jsonl.gz"
expect_eq "rerun adds no document" 6 "$(q "$WORK/all.db" "SELECT count(*) FROM documents")"
expect_eq "rerun counts them as already stored" "6|0|0" \
    "$(q "$WORK/all.db" "SELECT skipped, documents, duplicates FROM runs ORDER BY id DESC LIMIT 1")"
grep -q "6 already stored" "$WORK/err" || fail "summary does not say 6 already stored"
ok "summary reports already stored records"
run_opine 0 stem "$WORK/all.db" -q
check_exact "$WORK/all.db"

# 4. Incremental: a second file added later equals a run over both at once.
run_opine 0 run "$WORK/all.db" "$D/batch2.jsonl" -q
run_opine 0 ingest "$WORK/staged.db" "$D/batch2.jsonl" -q
run_opine 0 tokenize "$WORK/staged.db" -q
run_opine 0 stem "$WORK/staged.db" -q
run_opine 0 run "$WORK/both.db" "$WORK/batch1.jsonl.gz" "$D/batch2.jsonl" -q
for db in all staged both; do check_exact "$WORK/$db.db"; done
same_stats "$WORK/all.db" "$WORK/both.db" "incremental run = from scratch"
same_stats "$WORK/staged.db" "$WORK/both.db" "incremental stages = from scratch"
# A run finishes what an ingest left behind, besides its own input.
run_opine 0 ingest "$WORK/left.db" "$WORK/batch1.jsonl.gz" -q
run_opine 0 run "$WORK/left.db" "$D/batch2.jsonl" -q
expect_eq "run takes up documents an ingest left untokenized" "8|8|8" \
    "$(q "$WORK/left.db" "SELECT (SELECT count(*) FROM documents), sum(stage = 'tokenize'), sum(stage = 'stem') FROM stage_done")"
check_exact "$WORK/left.db"
same_stats "$WORK/left.db" "$WORK/both.db" "ingest, then run on more input = from scratch"
expect_eq "an exact duplicate is stored once and recorded" "8|1|b2|a1" \
    "$(q "$WORK/both.db" "SELECT (SELECT count(*) FROM documents), count(*), x.ext_id, d.ext_id FROM duplicates x JOIN documents d ON d.id = x.doc")"
expect_eq "the run counted the duplicate" 1 \
    "$(q "$WORK/both.db" "SELECT duplicates FROM runs")"

# 5. Directories (sorted, recursive) and standard input.
run_opine 0 run "$WORK/dir.db" "$D/texts" -q
expect_eq "directory read in sorted order" "$D/texts/a-note.txt,$D/texts/b-note.txt,$D/texts/sub/c-note.txt" \
    "$(q "$WORK/dir.db" "SELECT group_concat(source, ',') FROM (SELECT source FROM documents ORDER BY id)")"
expect_eq "paragraph break ends a sentence" 2 \
    "$(q "$WORK/dir.db" "SELECT sentences FROM doc_tokens k JOIN documents d ON d.id = k.doc WHERE d.source LIKE '%b-note.txt'")"
"$OPINE" run "$WORK/stdin.db" - -q <"$WORK/batch1.jsonl.gz" || fail "run from stdin failed"
expect_eq "standard input read" 6 "$(q "$WORK/stdin.db" "SELECT count(*) FROM documents WHERE source = '-'")"
run_opine 0 run "$WORK/batch1.db" "$WORK/batch1.jsonl.gz" -q
same_stats "$WORK/batch1.db" "$WORK/stdin.db" "stdin = file"

# 6. Bad input: each bad record is named, counted, and the rest is kept.
{
    head -n 2 "$D/batch1.jsonl"
    echo '{"id": "broken", "text": "unterminated'
    printf '{"id": "badutf8", "text": "caf\xe9 au lait"}\n'
    sed -n 3,4p "$D/batch1.jsonl"
} >"$WORK/bad.jsonl"
head -c 600 "$WORK/batch1.jsonl.gz" >"$WORK/truncated.jsonl.gz"
: >"$WORK/empty.txt"
head -c 2000 /dev/urandom | tr '\n' '\0' >"$WORK/binary.bin"
run_opine 1 run "$WORK/bad.db" "$WORK/bad.jsonl" "$WORK/truncated.jsonl.gz" \
    "$WORK/empty.txt" "$WORK/binary.bin" "$D/batch2.jsonl"
grep -q "bad.jsonl: line 3" "$WORK/err" || fail "no message naming bad.jsonl line 3: $(cat "$WORK/err")"
ok "malformed JSON line named with file and line"
grep -q "truncated.jsonl.gz" "$WORK/err" || fail "no message naming the truncated gzip"
ok "truncated gzip named"
grep -q "empty.txt" "$WORK/err" || fail "no message for the empty file"
ok "empty file named"
grep -q "binary.bin" "$WORK/err" || fail "no message for the binary file"
ok "binary file named"
grep -q "1 invalid UTF-8 sequences replaced by U+FFFD in 1 records" "$WORK/err" ||
    fail "no summary of the UTF-8 repair: $(cat "$WORK/err")"
ok "the repair of invalid UTF-8 is reported"
# A gzip input when ISA-L cannot be loaded (opine loads it at the first
# gzip input; tests/hide_isal.c hides it): that input is rejected with a
# message naming it and the library, and the other input is read. Not
# under memcheck or a sanitizer, which preload their own runtimes first.
if [ -n "${HIDE_ISAL:-}" ] && [ -z "${OPINE_VALGRIND:-}" ] && ! sanitized; then
    LD_PRELOAD=$HIDE_ISAL run_opine 1 run "$WORK/noisal.db" \
        "$WORK/batch1.jsonl.gz" "$D/batch2.jsonl"
    grep -q "batch1.jsonl.gz: .*gzip needs ISA-L (libisal.so.2" "$WORK/err" ||
        fail "no message naming the gzip input and ISA-L: $(cat "$WORK/err")"
    expect_eq "without ISA-L, the gzip input is rejected and the other read" \
        "rejected|1|$(grep -c . "$D/batch2.jsonl")" \
        "$(q "$WORK/noisal.db" "SELECT status, rejected, documents FROM runs")"
fi
expect_eq "run recorded its rejects" "rejected|4" \
    "$(q "$WORK/bad.db" "SELECT status, rejected FROM runs")"
expect_eq "rejects table names them" 4 \
    "$(q "$WORK/bad.db" "SELECT count(*) FROM rejects")"
expect_eq "the run counts the repair" "repaired_records=1 utf8_repairs=1" \
    "$(q "$WORK/bad.db" "SELECT group_concat(name || '=' || value, ' ') FROM (SELECT * FROM run_counters ORDER BY name)")"
expect_eq "the repaired document says so in doc_meta" "badutf8|1" \
    "$(q "$WORK/bad.db" "SELECT d.ext_id, m.value FROM doc_meta m JOIN documents d ON d.id = m.doc WHERE m.key = 'utf8_repairs'")"
expect_eq "the bad byte became U+FFFD" 14 \
    "$(q "$WORK/bad.db" "SELECT bytes FROM documents WHERE ext_id = 'badutf8'")"
# bad.jsonl keeps a1-a4 and the repaired line; the two lines before the
# gzip cut are copies of a1 and a2, and batch2 adds b1, b3 and a copy of a1.
expect_eq "good documents around the bad ones kept" "a1 a2 badutf8 a3 a4 b1 b3" \
    "$(q "$WORK/bad.db" "SELECT group_concat(ext_id, ' ') FROM (SELECT ext_id FROM documents ORDER BY id)")"
complete=$( (zcat "$WORK/truncated.jsonl.gz" 2>/dev/null || true) | tr -cd '\n' | wc -c)
[ "$complete" -ge 1 ] || fail "the gzip cut leaves no complete line"
expect_eq "complete records before the gzip damage read" "$complete" \
    "$(q "$WORK/bad.db" "SELECT count(*) FROM duplicates WHERE source LIKE '%truncated.jsonl.gz'")"
expect_eq "documents after the bad lines kept" 1 \
    "$(q "$WORK/bad.db" "SELECT count(*) FROM documents WHERE ext_id = 'a4' AND source LIKE '%bad.jsonl'")"
check_exact "$WORK/bad.db"
# Under --invalid-utf8 reject the line is refused, named by its line.
run_opine 1 run "$WORK/strict.db" "$WORK/bad.jsonl" --invalid-utf8 reject
grep -q "bad.jsonl: line 4: invalid UTF-8" "$WORK/err" || fail "no message naming the invalid UTF-8 line"
ok "invalid UTF-8 named with file and line under --invalid-utf8 reject"
expect_eq "the other lines kept" "a1 a2 a3 a4" \
    "$(q "$WORK/strict.db" "SELECT group_concat(ext_id, ' ') FROM documents")"

# A record over --max-record is rejected by line, without buffering it, and
# the records after it are read.
{
    head -n 1 "$D/batch1.jsonl"
    printf '{"id": "huge", "text": "'
    head -c 3000000 /dev/zero | tr '\0' 'a'
    printf '"}\n'
    sed -n 2p "$D/batch1.jsonl"
} >"$WORK/huge.jsonl"
run_opine 1 run "$WORK/huge.db" "$WORK/huge.jsonl" --max-record 1
grep -q "huge.jsonl: line 2: .*skipped" "$WORK/err" || fail "no message for the long line: $(cat "$WORK/err")"
expect_eq "records around an over-long line kept" "a1 a2" \
    "$(q "$WORK/huge.db" "SELECT group_concat(ext_id, ' ') FROM documents")"

# 7. status and sql.
run_opine 0 status "$WORK/both.db"
grep -q "^stem *8 *0" "$WORK/out" || fail "status does not show 8 stemmed, 0 pending: $(cat "$WORK/out")"
ok "status shows stages done and pending"
run_opine 0 status "$WORK/both.db" --timings
for phase in read prepare vocabulary finish write commit total; do
    grep -q "^$phase " "$WORK/out" || fail "status --timings lacks $phase: $(cat "$WORK/out")"
done
ok "status --timings shows every phase of the last run"
run_opine 0 sql "$WORK/both.db" --csv "SELECT ext_id, title FROM documents WHERE ext_id = 'b1'"
expect_eq "sql --csv" "ext_id,title
b1,Korea First?" "$(cat "$WORK/out")"
run_opine 0 sql "$WORK/both.db" --json "SELECT count(*) AS n FROM documents"
expect_eq "sql --json" '[{"n":8}]' "$(tr -d ' \n' <"$WORK/out")"
run_opine 0 sql "$WORK/both.db" --json "SELECT x'0001' AS b, 0.5 AS r, NULL AS n, 'a/b \"q\"' AS s"
expect_eq "sql --json: a blob as its size, null, reals, strings as they are" \
    '[{"b":2,"r":0.5,"n":null,"s":"a/b\"q\""}]' "$(tr -d ' \n' <"$WORK/out")"
run_opine 2 sql "$WORK/both.db" "DELETE FROM documents"
expect_eq "sql is read-only unless --write" 8 "$(q "$WORK/both.db" "SELECT count(*) FROM documents")"
for c in run ingest tokenize stem status sql; do
    run_opine 0 "$c" --help
    grep -q "usage: opine $c" "$WORK/out" || fail "$c --help"
done
ok "every command has --help"
run_opine 2 frobnicate
run_opine 2 run "$WORK/x.db"
ok "usage errors exit 2"
done_testing
