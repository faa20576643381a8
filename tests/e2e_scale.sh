# tests/e2e_scale.sh — opine scale through the real binary and database:
# Laver, Benoit & Garry's (2003) Table 1 written out as texts, scaled with
# Wordscores and Wordfish and compared with the figures quanteda.textmodels
# publishes for it; what is stored beside the run; the output formats;
# and the errors (exit 2). Needs no ../shared.
. "$(dirname "$0")/lib.sh"

# Table 1: 37 words (here "aq".."zq", then "baq".."bkq": no stop word, and
# Snowball leaves each as it is), R1..R5 and V1 each 1000 words in the
# counts 2 3 10 22 45 78 115 146 158 146 115 78 45 22 10 3 2, starting at
# word 5(k - 1) for Rk and at word 7 for V1.
awk 'BEGIN {
    split("2 3 10 22 45 78 115 146 158 146 115 78 45 22 10 3 2", c, " ")
    split("a b c d e f g h i j k l m n o p q r s t u v w x y z", l, " ")
    for (w = 0; w < 37; w++)
        word[w] = w < 26 ? l[w + 1] "q" : "b" l[w - 25] "q"
    split("R1 R2 R3 R4 R5 V1", name, " ")
    split("0 5 10 15 20 7", start, " ")
    for (d = 1; d <= 6; d++) {
        text = ""
        for (k = 1; k <= 17; k++)
            for (n = 0; n < c[k]; n++)
                text = text word[start[d] + k - 1] " "
        printf "{\"id\": \"%s\", \"score\": \"%s\", \"text\": \"%s\"}\n", name[d],
            d <= 5 ? (d - 3) * 0.75 : "", text
    }
}' >"$WORK/lbg.jsonl"
db="$WORK/lbg.db"
run_opine 0 run "$db" "$WORK/lbg.jsonl" --model none
expect_eq "Table 1 is 6 documents of 1000 counted tokens, 37 stems" "6|6000|37" \
    "$(q "$db" "SELECT count(*), sum(tokens), (SELECT count(*) FROM terms)
                FROM doc_lengths")"

# close A B [EPS]: |A - B| <= EPS (default 5e-8)
close() {
    python3 -c "import sys; a, b, e = map(float, sys.argv[1:4]); sys.exit(abs(a - b) > e)" \
        "$1" "$2" "${3:-5e-8}"
}

# 1: Wordscores, R1..R5 at -1.5 -0.75 0 0.75 1.5, LBG rescaling: the
# positions of predict(tmod, rescaling = "lbg") on quanteda.textmodels'
# reference page for textmodel_wordscores (docs/reference/
# textmodel_wordscores.html, commit 639f6b8).
run_opine 0 scale "$db" --method wordscores \
    --ref 'R1=-1.5,R2=-0.75' --ref R3=0 --ref 'R4=0.75,R5=1.5' --csv
published="R1 -1.58967683
R2 -0.88488724
R3 0.01632248
R4 0.91753220
R5 1.62232179
V1 -0.52967149"
while read -r doc want; do
    got=$(awk -F, -v d="$doc" '$1 == d { print $5 }' "$WORK/out")
    close "$got" "$want" 5e-9 || fail "wordscores LBG position of $doc: $got, published $want"
done <<<"$published"
ok "wordscores: every LBG position as quanteda publishes it"
expect_eq "the csv header" "document,reference,raw,raw_se,position,se,lo,hi" \
    "$(head -1 "$WORK/out")"
# raw V1 -0.4480591, its raw se 0.0119 as LBG (2003) print it
v1=$(grep '^V1,' "$WORK/out")
close "$(echo "$v1" | cut -d, -f3)" -0.4480591 5e-8 || fail "raw V1: $v1"
close "$(echo "$v1" | cut -d, -f4)" 0.0119 5e-5 || fail "raw se V1: $v1"
ok "wordscores: V1's raw score and standard error as published"
run1=$(q "$db" "SELECT max(id) FROM runs WHERE stage = 'scale'")
expect_eq "the run is recorded, finished" "ok|wordscores|6" \
    "$(q "$db" "SELECT status, json_extract(params, '\$.method'), documents
                FROM runs WHERE id = $run1")"
expect_eq "the run's parameters name the references" "1.5" \
    "$(q "$db" "SELECT json_extract(params, '\$.references.R5') FROM runs
                WHERE id = $run1")"
expect_eq "scale_positions holds every document of the run, V1 virgin" \
    "6|5|1" "$(q "$db" "SELECT count(*), count(reference),
                        sum(reference IS NULL AND ext_id = 'V1')
                        FROM scale_positions WHERE run = $run1")"
expect_eq "scale_features: one word score per stem, symmetric" "37|0.0" \
    "$(q "$db" "SELECT count(*), round(sum(wordscore), 9) FROM scale_features
                WHERE run = $run1 AND kind = 'stem'")"
expect_eq "the interval is the rescaled standard error, both sides" 0 \
    "$(q "$db" "SELECT count(*) FROM scale_positions WHERE run = $run1
                AND abs((hi - lo) / 2 - 1.959963984540054 * se) > 1e-12")"

# The same references from doc_meta, MV rescaling: predict(..., rescaling
# = "mv", se.fit = TRUE) on the same page.
run_opine 0 scale "$db" --method wordscores --ref-meta score \
    --rescaling mv --json --no-store
python3 - "$WORK/out" <<'EOF' || fail "wordscores MV from --ref-meta differs from the published figures"
import json, sys
rows = {r["document"]: r for r in json.load(open(sys.argv[1]))}
pub = {"R1": (-1.5, 0.007625147), "R2": (-0.8417280, 0.013013126),
       "R3": (0.0, 0.013663743), "V1": (-0.5099572, 0.013541297)}
for d, (pos, se) in pub.items():
    assert abs(rows[d]["position"] - pos) < 5e-8, (d, rows[d], pos)
    assert abs(rows[d]["se"] - se) < 5e-10, (d, rows[d], se)
assert abs(rows["V1"]["lo"] - -0.53649769) < 5e-9
assert rows["V1"]["reference"] is None and rows["R2"]["reference"] == -0.75
EOF
ok "wordscores: --ref-meta and MV rescaling give the published figures (json)"
expect_eq "--no-store writes nothing" "1" \
    "$(q "$db" "SELECT count(DISTINCT run) FROM scale_positions")"

# 2: Wordfish, dir = c(1, 5): summary(textmodel_wordfish(data_dfm_lbgexample,
# dir = c(1, 5))) on the reference page for textmodel_wordfish
# (docs/reference/textmodel_wordfish.html, commit a3e8e97).
run_opine 0 scale "$db" --method wordfish --dir 1,5 --tsv
published="R1 -1.29057 0.01448
R2 -0.61644 0.01060
R3 0.03351 0.01085
R4 0.70961 0.01214
R5 1.52334 0.01744
V1 -0.35945 0.01070"
while read -r doc theta se; do
    line=$(awk -F'\t' -v d="$doc" '$1 == d' "$WORK/out")
    close "$(echo "$line" | cut -f2)" "$theta" 5e-6 || fail "wordfish theta $doc: $line"
    close "$(echo "$line" | cut -f3)" "$se" 5e-6 || fail "wordfish se $doc: $line"
done <<<"$published"
ok "wordfish: every theta and standard error as quanteda publishes them"
grep -q "wordfish: 6 documents, 37 features (stems), converged after" "$WORK/err" ||
    fail "no summary on stderr: $(cat "$WORK/err")"
ok "wordfish says how it converged"
run2=$(q "$db" "SELECT max(id) FROM runs WHERE stage = 'scale'")
expect_eq "wordfish stores beta and psi for every feature" "37|37" \
    "$(q "$db" "SELECT count(beta), count(psi) FROM scale_features
                WHERE run = $run2")"
expect_eq "the direction is stored by ext_id" '["R1","R5"]' \
    "$(q "$db" "SELECT json_extract(params, '\$.dir') FROM runs WHERE id = $run2")"
# The same direction named by ext_id; the opposite one flips every sign.
run_opine 0 scale "$db" --method wordfish --low R5 --high R1 --no-store --tsv
q "$db" "SELECT ext_id, position FROM scale_positions WHERE run = $run2" \
    | tr '|' '\t' >"$WORK/stored"
expect_eq "--low R5 --high R1 mirrors every position" "6 0" \
    "$(awk -F'\t' 'NR == FNR { p[$1] = $2; next }
                  FNR > 1 && ($1 in p) { n++; d = $2 + p[$1]
                                          if (d > 1e-9 || d < -1e-9) bad++ }
                  END { print n + 0, bad + 0 }' "$WORK/stored" "$WORK/out")"
# Both feature sets read: the quanteda matrix counts the same 37 types.
run_opine 0 scale "$db" --method wordfish --dir 1,5 --features quanteda --no-store
grep -q "37 features (quanteda)" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "--features quanteda reads the token streams"
# --where selects documents.
run_opine 0 scale "$db" --method wordfish --dir 1,2 --where "d.ext_id <> 'V1'" --no-store
expect_eq "--where leaves V1 out" 5 "$(($(wc -l <"$WORK/out") - 1))"

# 3: errors, each with exit 2 and a message naming the problem.
run_opine 2 scale "$db" --method wordscore --ref R1=1
grep -q "unknown method 'wordscore'" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "an unknown method is refused"
run_opine 2 scale "$db"
grep -q "needs --method" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "a missing method is refused"
run_opine 2 scale "$db" --method wordscores
grep -q "wordscores needs reference texts" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "wordscores without references is refused"
run_opine 2 scale "$db" --method wordscores --ref R1=1
grep -q "at least 2 reference texts, got 1" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "one reference text is refused"
run_opine 2 scale "$db" --method wordscores --ref-meta nosuchkey
grep -q "at least 2 reference texts, got 0" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "a meta key no document has is refused"
run_opine 2 scale "$db" --method wordscores --ref 'R1=1,R9=2'
grep -q "no scaled document has ext_id 'R9'" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "an unknown reference document is refused"
run_opine 2 scale "$db" --method wordscores --ref 'R1=one'
grep -q "wants DOC=SCORE" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "a reference without a number is refused"
run_opine 2 scale "$db" --method wordfish --dir 1,9
grep -q "not a document number from 1 to 6" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "a direction outside the documents is refused"
run_opine 2 scale "$db" --method wordfish --ref R1=1
grep -q "wordfish takes no reference texts" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "wordfish with references is refused"
run_opine 2 scale "$db" --method wordfish --features lemmas
grep -q "unknown --features 'lemmas'" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "an unknown feature set is refused"
bare="$WORK/bare.db"
run_opine 0 ingest "$bare" "$WORK/lbg.jsonl"
run_opine 2 scale "$bare" --method wordfish
grep -q "no stemmed documents in '.*bare.db'; run 'opine stem" "$WORK/err" ||
    fail "$(cat "$WORK/err")"
ok "a database with no stemmed documents is refused"
run_opine 2 scale "$bare" --method wordfish --features quanteda
grep -q "no tokenized documents" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "a database with no tokenized documents is refused (--features quanteda)"
expect_eq "no failed run left behind by refused commands" 0 \
    "$(q "$db" "SELECT count(*) FROM runs WHERE stage = 'scale' AND status <> 'ok'")"

run_opine 0 scale --help
grep -q -- "--features F" "$WORK/out" || fail "help lacks --features"
ok "opine scale --help"
run_opine 0 --help
grep -q "^  scale " "$WORK/out" || fail "opine --help lacks scale"
ok "opine --help lists scale"
done_testing
