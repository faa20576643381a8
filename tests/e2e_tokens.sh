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
done_testing
