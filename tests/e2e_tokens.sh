# tests/e2e_tokens.sh — opine tokens shows tokens, stems, kinds, offsets,
# UAX #29 segments and sentences for text on standard input.
. "$(dirname "$0")/lib.sh"
printf 'Korea’s burden-sharing rose 5.4%% in 2019. Mr. Moon met the U.S. envoy.\n' >"$WORK/t.txt"

"$OPINE" tokens <"$WORK/t.txt" >"$WORK/out" || fail "opine tokens failed"
expect_eq "possessive dropped, span covers Korea only" "0	5	0	word	korea	korea" "$(sed -n 1p "$WORK/out")"
expect_eq "hyphenated compound is one token, stemmed" "burden-sharing	burden-shar" "$(sed -n 2p "$WORK/out" | cut -f5,6)"
# A glued '%' is part of its number since the percentages rule (tokenize.h).
expect_eq "number kind, percent kept" "number	5.4%" "$(sed -n 4p "$WORK/out" | cut -f4,5)"
expect_eq "no sentence break after Mr." "1 1 1" "$(awk -F'\t' '$5 == "mr" || $5 == "moon" || $5 == "met" {printf "%s ", $3}' "$WORK/out" | sed 's/ $//')"
expect_eq "U.S. is one token" "u.s." "$(awk -F'\t' '$5 == "u.s." {print $5}' "$WORK/out")"
# Every span is the token's own text in the input.
while IFS=$'\t' read -r a b _ _ norm _; do
    surface=$(head -c "$b" "$WORK/t.txt" | tail -c "$((b - a))")
    [ "$(printf '%s' "$surface" | tr 'A-Z’' "a-z'")" = "$norm" ] || fail "span $a-$b '$surface' is not '$norm'"
done <"$WORK/out"
ok "every span is its token's text"

"$OPINE" tokens --tokenizer uax29 <"$WORK/t.txt" >"$WORK/strict" || fail "uax29 failed"
expect_eq "UAX #29 keeps Korea’s whole and splits the hyphen" "korea's burden sharing" \
    "$(head -n 3 "$WORK/strict" | cut -f5 | tr '\n' ' ' | sed 's/ $//')"
"$OPINE" tokens --sentences <"$WORK/t.txt" >"$WORK/sent" || fail "--sentences failed"
expect_eq "two sentences" 2 "$(wc -l <"$WORK/sent")"
expect_eq "second sentence text" "Mr. Moon met the U.S. envoy" "$(sed -n 2p "$WORK/sent" | cut -f4)"
"$OPINE" tokens --segments <"$WORK/t.txt" >"$WORK/seg" || fail "--segments failed"
expect_eq "segments cover the input without gaps" "$(wc -c <"$WORK/t.txt")" \
    "$(awk -F'\t' 'NR == 1 && $1 != 0 {bad = 1} NR > 1 && $1 != prev {bad = 1} {prev = $2} END {print bad ? -1 : prev}' "$WORK/seg")"
printf 'Die Häuser der Städte\n' | "$OPINE" tokens --lang german >"$WORK/de" || fail "german"
expect_eq "German stems" "haus stadt" "$(awk -F'\t' '$5 == "häuser" || $5 == "städte" {printf "%s ", $6}' "$WORK/de" | sed 's/ $//')"
printf 'Mail Kim@Korea.KR or @Moon re #KoreaUS at https://A.org/X.\n' | "$OPINE" tokens >"$WORK/kinds" || fail "kinds"
expect_eq "kinds are named" "word email word handle word hashtag word url" \
    "$(cut -f4 "$WORK/kinds" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "url keeps its path's case" "https://a.org/X" "$(awk -F'\t' '$4 == "url" {print $5}' "$WORK/kinds")"
run_opine 2 tokens --tokenizer nope

# Diacritic folding: in opine tokens, and per database in the pipeline.
# (case folding already makes ß "ss")
expect_eq "tokens --fold-diacritics" "cafe muller sao ss" \
    "$(printf 'Café Müller São ß' | "$OPINE" tokens --fold-diacritics | cut -f5 | tr '\n' ' ' | sed 's/ $//')"
printf '{"id": "f", "text": "Café Müller met cafe muller in São Paulo."}\n' >"$WORK/f.jsonl"
run_opine 0 run "$WORK/fold.db" "$WORK/f.jsonl" --fold-diacritics -q
expect_eq "folded types merge spellings" "cafe|2
muller|2" "$(q "$WORK/fold.db" "SELECT type, cf FROM types WHERE type IN ('cafe', 'muller') ORDER BY type")"
run_opine 0 run "$WORK/nofold.db" "$WORK/f.jsonl" -q
expect_eq "without folding they stay apart" 4 \
    "$(q "$WORK/nofold.db" "SELECT count(*) FROM types WHERE type IN ('cafe', 'café', 'muller', 'müller')")"
run_opine 2 run "$WORK/nofold.db" "$WORK/f.jsonl" --fold-diacritics
grep -q "fold_diacritics = 0" "$WORK/err" || fail "folding is fixed per database: $(cat "$WORK/err")"
ok "folding is fixed per database"

# URLs, addresses, handles and hashtags are their own stems.
printf '{"id": "k", "text": "See https://Example.org/Path, @Moon_Jae, #BurdenSharing and Ann@Example.org."}\n' >"$WORK/k.jsonl"
run_opine 0 run "$WORK/k.db" "$WORK/k.jsonl" -q
expect_eq "special kinds are not stemmed" "#burdensharing|#burdensharing
@moon_jae|@moon_jae
ann@example.org|ann@example.org
https://example.org/Path|https://example.org/Path" \
    "$(q "$WORK/k.db" "SELECT t.type, s.stem FROM types t JOIN stems s ON s.id = t.stem WHERE t.type GLOB '*[@#:]*' ORDER BY 1")"

# The strict tokenizer in the pipeline: fixed per database, staged = run,
# results independent of the number of threads.
SAMPLES=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz
run_opine 0 run "$WORK/u1.db" "$SAMPLES" --tokenizer uax29 -q -j 1
run_opine 0 run "$WORK/u2.db" "$SAMPLES" --tokenizer uax29 -q -j 2
run_opine 0 ingest "$WORK/u3.db" "$SAMPLES" -q
run_opine 0 tokenize "$WORK/u3.db" --tokenizer uax29 -q
run_opine 0 stem "$WORK/u3.db" -q
check_exact "$WORK/u1.db"
same_stats "$WORK/u1.db" "$WORK/u2.db" "uax29 -j 1 = -j 2"
same_stats "$WORK/u1.db" "$WORK/u3.db" "uax29 staged = run"
expect_eq "the strict tokenizer splits hyphenated compounds" 1 \
    "$(q "$WORK/u1.db" "SELECT count(*) = 0 FROM types WHERE type LIKE '%-%'")"
run_opine 0 run "$WORK/d.db" "$SAMPLES" -q
expect_eq "the default tokenizer keeps them" 1 \
    "$(q "$WORK/d.db" "SELECT count(*) > 0 FROM types WHERE type = 'burden-sharing'")"
run_opine 2 run "$WORK/u1.db" "$OPINE_TESTDATA/batch2.jsonl" --tokenizer default
grep -q "tokenized with the uax29 tokenizer" "$WORK/err" || fail "mixing tokenizers: $(cat "$WORK/err")"
ok "a database keeps one tokenizer"
done_testing
