# tests/e2e_sqlite_ext.sh — the loadable extension opine_sqlite lets any
# SQLite client read an opine database fully: from the sqlite3 command and
# from python3's sqlite3 module, on the sample corpus's database, a
# document's text reads back byte for byte, opine_stem agrees with opine
# stem --words (on Snowball's vocabularies when ../shared has them),
# opine_tokens with opine tokens, and an FTS5 index with tokenize='opine'
# has every stem's document frequency that terms has.
. "$(dirname "$0")/lib.sh"
[ "${OPINE_SANITIZE:-OFF}" = ON ] &&
    skip "the sanitizer build makes no extension (a host without the sanitizer runtime cannot load it)"
EXT=$(dirname "$OPINE")/opine_sqlite
[ -f "$EXT.so" ] || fail "no $EXT.so"
# python3 with loadable extensions: Debian's is built with them (a pyenv
# build may not be).
PY=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null &&
        "$p" -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension(True)' 2>/dev/null; then
        PY=$p
        break
    fi
done
[ -n "$PY" ] || fail "no python3 whose sqlite3 module loads extensions (make installs Debian's python3)"
sq() { sqlite3 -batch -noheader -cmd ".load $EXT" "$@"; }

SAMPLES=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz
run_opine 0 run "$WORK/s.db" "$SAMPLES" -q

# Texts, byte for byte: the input's against the database's.
"$PY" - "$SAMPLES" >"$WORK/want.hex" <<'PYEOF'
import gzip, json, sys
for line in gzip.open(sys.argv[1], "rt", encoding="utf-8"):
    d = json.loads(line)
    print(d["id"], d["text"].encode("utf-8").hex().upper())
PYEOF
sort -o "$WORK/want.hex" "$WORK/want.hex"
sq -separator ' ' "$WORK/s.db" "SELECT ext_id, hex(opine_text(body)) FROM documents ORDER BY ext_id" >"$WORK/cli.hex"
expect_eq "sqlite3 .load: every document's text reads back byte for byte ($(wc -l <"$WORK/want.hex") documents)" \
    "$(cat "$WORK/want.hex")" "$(cat "$WORK/cli.hex")"
"$PY" - "$WORK/s.db" "$EXT" >"$WORK/py.hex" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.enable_load_extension(True)
c.load_extension(sys.argv[2])
for ext_id, text in c.execute("SELECT ext_id, opine_text(body) FROM documents ORDER BY ext_id"):
    print(ext_id, text.encode("utf-8").hex().upper())
PYEOF
expect_eq "python3 load_extension: every text byte for byte" \
    "$(cat "$WORK/want.hex")" "$(cat "$WORK/py.hex")"
expect_eq "inflate() is the same function" 0 \
    "$(sq "$WORK/s.db" "SELECT count(*) FROM documents WHERE inflate(body) IS NOT opine_text(body)")"

# FTS5 with tokenize='opine': every stem's df is terms.df.
fts="CREATE VIRTUAL TABLE f USING fts5(body, tokenize='opine');
     INSERT INTO f(rowid, body) SELECT id, opine_text(body) FROM documents;
     CREATE VIRTUAL TABLE fv USING fts5vocab(f, 'row');
     CREATE TEMP TABLE want AS SELECT s.stem, t.df FROM terms t JOIN stems s ON s.id = t.stem;
     SELECT (SELECT count(*) FROM want),
            (SELECT count(*) FROM fv),
            (SELECT count(*) FROM (SELECT stem, df FROM want EXCEPT SELECT term, doc FROM fv)),
            (SELECT count(*) FROM (SELECT term, doc FROM fv EXCEPT SELECT stem, df FROM want));"
cp "$WORK/s.db" "$WORK/f.db"
got=$(sq -separator ' ' "$WORK/f.db" "$fts")
read -r nterms nfts miss extra <<<"$got"
[ "$nterms" -gt 100 ] || fail "too few terms to compare: $got"
expect_eq "sqlite3: an FTS5 index with tokenize='opine' has terms' $nterms stems, each with terms.df" \
    "$nterms $nterms 0 0" "$got"
cp "$WORK/s.db" "$WORK/g.db"
got=$("$PY" - "$WORK/g.db" "$EXT" "$fts" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.enable_load_extension(True)
c.load_extension(sys.argv[2])
stmts = [s for s in sys.argv[3].split(";") if s.strip()]
for s in stmts[:-1]:
    c.execute(s)
print(*c.execute(stmts[-1]).fetchone())
PYEOF
)
expect_eq "python3: the same FTS5 document frequencies" "$nterms $nterms 0 0" "$got"
expect_eq "a stop word is not indexed" 0 \
    "$(sq "$WORK/f.db" "SELECT count(*) FROM fv WHERE term IN ('the', 'and', 'of')")"
expect_eq "FTS5 queries find stems: 'alliances' matches as opine stems it" \
    "$(sq "$WORK/f.db" "SELECT df FROM terms JOIN stems s ON s.id = terms.stem WHERE s.stem = 'allianc'")" \
    "$(sq "$WORK/f.db" "SELECT count(*) FROM f WHERE f MATCH opine_stem('alliances')")"
if sq "$WORK/f.db" "CREATE VIRTUAL TABLE g USING fts5(body, tokenize='opine colour red')" 2>"$WORK/err"; then
    fail "a bad tokenizer option was taken"
fi
grep -q "unknown option 'colour red'" "$WORK/err" || fail "bad option message: $(cat "$WORK/err")"
ok "a bad tokenizer option is named"

# opine_tokens = opine tokens.
text="Allies share burdens, at https://x.org and #peace. Der Bündnisfall."
"$OPINE" tokens <<<"$text" | awk -F'\t' '{print $1, $2, $3, $4, $5, $6}' >"$WORK/cli.tok"
sq -separator ' ' "$WORK/s.db" "SELECT start, \"end\", sentence, kind, type, stem FROM opine_tokens('$text')" >"$WORK/ext.tok"
expect_eq "opine_tokens(text) = opine tokens ($(wc -l <"$WORK/cli.tok") tokens)" \
    "$(cat "$WORK/cli.tok")" "$(cat "$WORK/ext.tok")"
expect_eq "opine_tokens marks stop words as the database does" \
    "$(sq "$WORK/s.db" "SELECT group_concat(type, ' ') FROM (SELECT type FROM types
        WHERE stopword AND type IN ('at', 'and', 'allies') ORDER BY type)")" \
    "$(sq "$WORK/s.db" "SELECT group_concat(type, ' ') FROM (SELECT type FROM opine_tokens('$text')
        WHERE stop AND type IN ('at', 'and', 'allies') ORDER BY type)")"
if sq "$WORK/s.db" "SELECT * FROM opine_tokens" 2>"$WORK/err"; then
    fail "opine_tokens without a text answered"
fi
grep -q "opine_tokens needs a text" "$WORK/err" || fail "message: $(cat "$WORK/err")"
ok "opine_tokens without a text says what it needs"

# opine_stem = opine stem --words, on every stored type and on Snowball's
# vocabularies.
sq "$WORK/s.db" "SELECT type FROM types ORDER BY id" >"$WORK/types"
"$OPINE" stem --words <"$WORK/types" >"$WORK/types.cli"
sq "$WORK/s.db" "SELECT opine_stem(type) FROM types ORDER BY id" >"$WORK/types.ext"
expect_eq "opine_stem = opine stem --words on the corpus's $(wc -l <"$WORK/types") types" \
    "$(md5sum <"$WORK/types.cli")" "$(md5sum <"$WORK/types.ext")"
CONF=$OPINE_SHARED/conformance/snowball
if [ -d "$CONF" ]; then
    for lang in english porter german french spanish russian; do
        sqlite3 -batch "$WORK/voc.db" "DROP TABLE IF EXISTS voc; CREATE TABLE voc(word TEXT);" \
            ".import --csv $CONF/$lang/voc.txt voc" 2>/dev/null ||
            fail "cannot import $lang's vocabulary"
        sq "$WORK/voc.db" "SELECT opine_stem(word, '$lang') FROM voc ORDER BY rowid" >"$WORK/$lang.ext"
        "$OPINE" stem --words --lang "$lang" <"$CONF/$lang/voc.txt" >"$WORK/$lang.cli"
        expect_eq "$lang: opine_stem(word, '$lang') = opine stem --words on $(wc -l <"$CONF/$lang/voc.txt") words" \
            "$(md5sum <"$WORK/$lang.cli")" "$(md5sum <"$WORK/$lang.ext")"
    done
else
    echo "# (no $CONF: the Snowball vocabularies are skipped)"
fi
if sq "$WORK/s.db" "SELECT opine_stem('word', 'klingon')" 2>"$WORK/err"; then
    fail "a language without a stemmer answered"
fi
grep -q "no stemmer for 'klingon'" "$WORK/err" || fail "message: $(cat "$WORK/err")"
ok "opine_stem names a language it has no stemmer for"

# opine sql has the same functions.
run_opine 0 sql "$WORK/s.db" "SELECT opine_stem('alliances'), count(*) FROM opine_tokens('a b c')"
expect_eq "opine sql registers them too" "allianc	3" "$(tail -n 1 "$WORK/out")"
done_testing
