# tests/e2e_snowball.sh — Snowball's own vocabularies stem, through opine's
# stem stage (opine stem --words), to exactly Snowball's expected output.
. "$(dirname "$0")/lib.sh"
CONF=$OPINE_SHARED/conformance/snowball
[ -d "$CONF" ] || skip "no $CONF (../shared is absent)"
for lang in english porter german french spanish russian; do
    [ -f "$CONF/$lang/voc.txt" ] || fail "missing $CONF/$lang/voc.txt"
    "$OPINE" stem --words --lang "$lang" <"$CONF/$lang/voc.txt" >"$WORK/$lang.out" \
        || fail "opine stem --words --lang $lang failed"
    words=$(wc -l <"$CONF/$lang/voc.txt")
    differ=$(diff "$WORK/$lang.out" "$CONF/$lang/output.txt" | grep -c '^[<>]' || true)
    if [ "$differ" != 0 ]; then
        diff "$WORK/$lang.out" "$CONF/$lang/output.txt" | head -n 10 >&2
    fi
    expect_eq "$lang: $words words stem as Snowball expects" 0 "$differ"
done
run_opine 2 stem --words --lang klingon
grep -q "unknown language 'klingon'" "$WORK/err" || fail "unknown language message"
ok "unknown language is a usage error"
run_opine 0 stem --list-languages
grep -qx english "$WORK/out" && grep -qx russian "$WORK/out" || fail "list-languages"
ok "stem --list-languages lists the Snowball languages ($(wc -l <"$WORK/out"))"
done_testing
