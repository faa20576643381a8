# tests/e2e_neardup.sh — near-duplicates through the real binary, on a
# generated corpus with planted copies: 200 texts of made-up words; 15
# near copies (another headline, one or two words changed: Jaccard of
# word 5-shingles 0.87 or more); 10 loose copies (one word in twelve
# changed: about 0.5). The near copies, and only they, must be found.
. "$(dirname "$0")/lib.sh"

# gen FIRST LAST: the documents numbered FIRST to LAST (base texts are
# 1-200, near copies 201-215, loose copies 216-225), the same texts
# whichever range is asked for.
gen() {
    awk -v first="$1" -v last="$2" 'BEGIN {
        srand(7)
        n = split("ka lo mi ne su ta ri po ve zu an el or is um ba de fi go hu", syl, " ")
        for (i = 1; i <= 3000; i++) {
            w = ""
            k = 2 + int(rand() * 2)
            for (j = 0; j < k; j++) w = w syl[1 + int(rand() * n)]
            word[i] = w
        }
        for (d = 1; d <= 225; d++) {
            if (d <= 200) {
                len[d] = 150 + int(rand() * 150)
                for (i = 1; i <= len[d]; i++) tok[d, i] = word[1 + int(rand() * 3000)]
                orig[d] = ""
                kind[d] = "base"
            } else {
                o = 1 + (d * 37) % 200 # a different original each
                orig[d] = sprintf("b%03d", o)
                kind[d] = d <= 215 ? "near" : "loose"
                len[d] = len[o]
                for (i = 1; i <= len[o]; i++) tok[d, i] = tok[o, i]
                change = d <= 215 ? 1 + d % 2 : int(len[o] / 12)
                for (c = 0; c < change; c++)
                    tok[d, 1 + int(rand() * len[o])] = "zq" d "x" c
            }
        }
        for (d = first; d <= last; d++) {
            text = ""
            for (i = 1; i <= len[d]; i++)
                text = text tok[d, i] (i % 12 == 0 ? ". " : " ")
            printf "{\"id\": \"%s%03d\", \"title\": \"Headline %d\", \"outlet\": \"Gen %d\", \"kind\": \"%s\", \"orig\": \"%s\", \"text\": \"%s\"}\n",
                d <= 200 ? "b" : "c", d, d, d % 3, kind[d], orig[d], text
        }
    }'
}
gen 1 225 >"$WORK/all.jsonl"

# The pairs found, as "copy original" by ext_id, sorted.
found() {
    q "$1" "SELECT CASE WHEN ext_a < ext_b THEN ext_b || ' ' || ext_a
                        ELSE ext_a || ' ' || ext_b END AS p
            FROM v_near_duplicates ORDER BY p"
}
# The near copies as planted.
planted() {
    q "$1" "SELECT d.ext_id || ' ' || o.value AS p FROM documents d
            JOIN doc_meta k ON k.doc = d.id AND k.key = 'kind' AND k.value = '$2'
            JOIN doc_meta o ON o.doc = d.id AND o.key = 'orig' ORDER BY p"
}

# 1. One run finds exactly the planted near copies, with their exact
# similarity at or above 0.8 and the estimate near it.
run_opine 0 run "$WORK/one.db" "$WORK/all.jsonl" -q --model none
expect_eq "15 near copies planted" 15 "$(planted "$WORK/one.db" near | wc -l)"
expect_eq "the near copies, and only they, are found" \
    "$(planted "$WORK/one.db" near)" "$(found "$WORK/one.db")"
expect_eq "jaccard >= 0.8, estimate within 0.2 of it" 0 \
    "$(q "$WORK/one.db" "SELECT count(*) FROM near_duplicates
                         WHERE jaccard < 0.8 OR abs(estimate - jaccard) > 0.2")"
expect_eq "every stemmed document has a signature" "225|225" \
    "$(q "$WORK/one.db" "SELECT (SELECT count(*) FROM doc_minhash),
                               (SELECT count(*) FROM stage_done WHERE stage = 'near_dup')")"
expect_eq "the threshold is recorded" 0.8 \
    "$(q "$WORK/one.db" "SELECT value FROM meta WHERE key = 'near_dup_threshold'")"
run_opine 0 status "$WORK/one.db"
grep -q "near_duplicate_pairs" "$WORK/out" || fail "status names near-duplicate pairs"
expect_eq "status counts the pairs" 15 \
    "$(awk '/near_duplicate_pairs/ { getline; getline; print $1 }' "$WORK/out")"

# 2. Nothing is dropped, and one join leaves the later copy out.
expect_eq "every document is kept" 225 "$(q "$WORK/one.db" "SELECT count(*) FROM documents")"
expect_eq "documents without their later near-duplicates" 210 \
    "$(q "$WORK/one.db" "SELECT count(*) FROM documents d
                         LEFT JOIN v_near_dup_later x ON x.doc = d.id WHERE x.doc IS NULL")"

# 3. Incremental: the first 120 documents, then the rest; new documents
# are compared with the old ones, and the pairs are those of one run.
gen 1 120 >"$WORK/first.jsonl"
gen 121 225 >"$WORK/second.jsonl"
run_opine 0 run "$WORK/inc.db" "$WORK/first.jsonl" -q --model none
first=$(found "$WORK/inc.db" | wc -l)
run_opine 0 run "$WORK/inc.db" "$WORK/second.jsonl" -q --model none
expect_eq "two runs find the pairs of one" "$(found "$WORK/one.db")" "$(found "$WORK/inc.db")"
expect_eq "the second run found the pairs with a new document" \
    "$((15 - first))" "$(q "$WORK/inc.db" "SELECT count(*) FROM near_duplicates WHERE run = 2")"
run_opine 0 run "$WORK/inc.db" "$WORK/all.jsonl" -q --model none
expect_eq "a rerun adds nothing" 15 "$(q "$WORK/inc.db" "SELECT count(*) FROM near_duplicates")"

# 4. Another threshold compares everything again from the stored
# signatures: at 0.3 the loose copies are near-duplicates too; back at
# 0.8, only the near ones.
run_opine 0 stem "$WORK/one.db" -q --near-dup-threshold 0.3
expect_eq "at 0.3 the loose copies are found too" \
    "$( (planted "$WORK/one.db" near; planted "$WORK/one.db" loose) | sort)" \
    "$(found "$WORK/one.db")"
run_opine 0 stem "$WORK/one.db" -q --near-dup-threshold 0.8
expect_eq "back at 0.8" "$(planted "$WORK/one.db" near)" "$(found "$WORK/one.db")"

# 5. Staged: ingest, tokenize, stem give the same pairs as a run.
run_opine 0 ingest "$WORK/staged.db" "$WORK/all.jsonl" -q
run_opine 0 tokenize "$WORK/staged.db" -q
run_opine 0 stem "$WORK/staged.db" -q
expect_eq "staged finds the same pairs" "$(found "$WORK/one.db")" "$(found "$WORK/staged.db")"

# 6. An older database's documents, stemmed without signatures, get them
# when a stage next ends.
cp "$WORK/staged.db" "$WORK/old.db"
q "$WORK/old.db" "DROP TABLE doc_minhash; DROP TABLE near_duplicates;
                  DELETE FROM stage_done WHERE stage = 'near_dup'; DELETE FROM meta WHERE key = 'near_dup_threshold'"
run_opine 0 stem "$WORK/old.db" -q
expect_eq "an older database gets signatures and pairs" "$(found "$WORK/one.db")" "$(found "$WORK/old.db")"

# 7. --near-dup-threshold none: neither signatures nor pairs.
run_opine 0 run "$WORK/none.db" "$WORK/all.jsonl" -q --model none --near-dup-threshold none
expect_eq "none: no signatures, no pairs" "0|0" \
    "$(q "$WORK/none.db" "SELECT (SELECT count(*) FROM doc_minhash), (SELECT count(*) FROM near_duplicates)")"
run_opine 2 run "$WORK/bad.db" "$WORK/all.jsonl" -q --near-dup-threshold 1.5
grep -q "near-dup-threshold" "$WORK/err" || fail "a bad threshold is named"

# 8. Killed after storing the pairs, before marking the documents
# compared: nothing of the pass is committed, and a rerun finishes it.
OPINE_FAULT=near_dups "$OPINE" run "$WORK/kill.db" "$WORK/all.jsonl" -q --model none \
    2>"$WORK/err" && fail "the fault point near_dups was not reached"
grep -q "fault point 'near_dups'" "$WORK/err" || fail "near_dups was hit"
expect_eq "killed: no pairs committed" 0 "$(q "$WORK/kill.db" "SELECT count(*) FROM near_duplicates")"
run_opine 0 run "$WORK/kill.db" "$WORK/all.jsonl" -q --model none
expect_eq "the rerun finds the pairs" "$(found "$WORK/one.db")" "$(found "$WORK/kill.db")"
done_testing
