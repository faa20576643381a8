#!/bin/bash
# tests/e2e_hostile.sh — hostile values through the real opine binary:
# document ids and metadata holding SQL metacharacters, control characters
# and 1 MB strings, 100,000 metadata keys on one record; file names with
# newlines and bytes that are not UTF-8; one 64 MiB paragraph without a
# space; model files that are alias bombs or Latin-1; a database in a
# read-only folder. Each is stored exactly (checked from Python's sqlite3,
# which refuses TEXT that is not UTF-8) or refused with a message that says
# what and where. Inputs are made here, at run time.
source "$(dirname "$0")/lib.sh"

# Every TEXT value of every table of DB decodes as UTF-8 (Python's sqlite3
# raises otherwise), and the number of values read.
all_text_reads() {
    python3 - "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = 0
for (t,) in c.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall():
    for row in c.execute(f'SELECT * FROM "{t}"'):
        n += sum(isinstance(v, str) for v in row)
print(n)
EOF
}

# ---- 1. ids and metadata ----------------------------------------------
python3 - "$WORK/hostile.jsonl" <<'EOF'
import json, sys
recs = [
    {"id": "'; DROP TABLE documents; --", "text": "The alliance holds.",
     "title": "Robert'); DROP TABLE doc_meta;--",
     "x\"y": "a%b_c\\d", "q": "\"quoted\" 'single' `tick` [br] ;"},
    {"id": "ctl\u0001\u0007\u001b[31m\r\n\t", "text": "Seoul speaks.",
     "title": "bell\u0007 esc\u001b del\u007f", "outlet": "tab\there",
     "k\u0002ey": "v\u0003"},
    {"id": "I" * (1 << 20), "text": "A big author.", "author": "A" * (1 << 20),
     "note": "n" * (1 << 20), "title": "\u00e9" * (1 << 19)},
]
many = {"id": "many", "text": "One record with many keys."}
for i in range(100000):
    many[f"k{i}"] = f"v{i}"
recs.append(many)
with open(sys.argv[1], "w") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
EOF
db=$WORK/hostile.db
run_opine 0 run "$db" "$WORK/hostile.jsonl" -q
expect_eq "four hostile records stored" 4 "$(q "$db" "SELECT count(*) FROM documents")"
expect_eq "DROP TABLE in values dropped nothing" 1 \
    "$(q "$db" "SELECT count(*) FROM sqlite_schema WHERE name = 'doc_meta'")"
# Every field as written, compared in Python with the JSON it came from.
python3 - "$WORK/hostile.jsonl" "$db" <<'EOF' || fail "values differ"
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[2])
own = {"id": "ext_id", "title": "title", "author": "author", "outlet": "outlet"}
for line in open(sys.argv[1]):
    r = json.loads(line)
    doc, = c.execute("SELECT id FROM documents WHERE ext_id = ?", (r["id"],)).fetchone()
    for k, col in own.items():
        if k in r:
            got, = c.execute(f"SELECT {col} FROM documents WHERE id = ?", (doc,)).fetchone()
            assert got == r[k], (k, len(got), len(r[k]))
    meta = dict(c.execute("SELECT key, value FROM doc_meta WHERE doc = ?", (doc,)))
    want = {k: v for k, v in r.items() if k not in own and k != "text"}
    assert meta == want, (r["id"][:10], len(meta), len(want))
EOF
ok "ids, titles, authors and all 100,011 metadata values stored exactly"
expect_eq "the 100,000 keys of one record" 100000 \
    "$(q "$db" "SELECT count(*) FROM doc_meta m JOIN documents d ON d.id = m.doc
                WHERE d.ext_id = 'many'")"
# opine sql --json escapes what JSON must escape.
run_opine 0 sql "$db" --json "SELECT ext_id, title FROM documents ORDER BY id"
python3 -c "
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 4 and rows[1]['ext_id'] == 'ctl\x01\x07\x1b[31m\r\n\t'
" "$WORK/out" || fail "opine sql --json output: $(head -c 300 "$WORK/out")"
ok "opine sql --json output with control characters parses as JSON"

# ---- 2. file names ----------------------------------------------------
names=$WORK/names
mkdir -p "$names"
printf 'The alliance holds.\n' >"$names/$(printf 'new\nline.txt')"
printf 'Seoul speaks.\n' >"$names/$(printf 'caf\xe9.txt')"
printf '{"text":"cut\n' >"$names/$(printf 'bad\n\xff.jsonl')"
db=$WORK/names.db
run_opine 1 run "$db" "$names" "$names/$(printf 'caf\xe9.txt')" -q
expect_eq "two documents, one duplicate" "2 1" \
    "$(q "$db" "SELECT (SELECT count(*) FROM documents),
                       (SELECT count(*) FROM duplicates)" | tr '|' ' ')"
reads=$(all_text_reads "$db") || fail "a TEXT value is not UTF-8"
ok "every TEXT value of every table reads as UTF-8 ($reads values)"
expect_eq "a Latin-1 byte of a name stored as \\xE9" 2 \
    "$(q "$db" "SELECT (SELECT count(*) FROM documents
                        WHERE source LIKE '%caf\\xE9.txt')
                     + (SELECT count(*) FROM duplicates
                        WHERE source LIKE '%caf\\xE9.txt')")"
expect_eq "a newline in a name is kept (it is text)" 1 \
    "$(q "$db" "SELECT count(*) FROM documents WHERE source LIKE '%new' || char(10) || 'line.txt'")"
grep -q 'bad\\x0A\\xFF.jsonl: line 1: malformed JSON' "$WORK/err" ||
    fail "message for a name with a newline: $(cat "$WORK/err")"
expect_eq "that message is one line" 1 "$(grep -c 'malformed JSON' "$WORK/err")"
ok "a rejected file's name is shown escaped, on one line"

# A member of an archive is named by bytes too: its name (ext_id, and the
# source ARCHIVE:MEMBER) is stored as text the same way.
printf 'Members speak too.\n' >"$WORK/member.txt"
"${MKARCHIVE:?run through ctest: MKARCHIVE must name tests/mkarchive}" \
    "$WORK/names.cpio" cpio none "$(printf 'm\xe9\n.txt')=$WORK/member.txt" ||
    fail "mkarchive"
run_opine 0 run "$WORK/member.db" "$WORK/names.cpio" -q
reads=$(all_text_reads "$WORK/member.db") || fail "a TEXT value is not UTF-8"
expect_eq "a member's Latin-1 byte stored as \\xE9, its newline kept" 1 \
    "$(q "$WORK/member.db" "SELECT count(*) FROM documents
        WHERE ext_id = 'm\\xE9' || char(10) || '.txt'
          AND source LIKE '%names.cpio:m\\xE9' || char(10) || '.txt'")"

# ---- 3. one 64 MiB paragraph without a space --------------------------
python3 -c "
import sys
with open(sys.argv[1], 'wb') as f: f.write(b'a' * (64 << 20))
with open(sys.argv[2], 'wb') as f: f.write(b'a' * ((64 << 20) + 1))
" "$WORK/para.txt" "$WORK/para1.txt"
db=$WORK/para.db
run_opine 1 run "$db" "$WORK/para.txt" "$WORK/para1.txt" -q
expect_eq "the 64 MiB word is one token of one type" "1|1|67108864" \
    "$(q "$db" "SELECT (SELECT sum(tokens) FROM doc_tokens),
                       (SELECT count(*) FROM types), (SELECT max(length(type)) FROM types)")"
grep -q "para1.txt: record of more than 67108864 bytes; skipped" "$WORK/err" ||
    fail "64 MiB + 1 byte: $(cat "$WORK/err")"
ok "one byte more than --max-record is refused, by name"
rm -f "$WORK/para.txt" "$WORK/para1.txt" "$db"*

# ---- 4. model files ---------------------------------------------------
printf 'The alliance holds.\n' >"$WORK/doc.txt"
python3 - "$WORK/laughs.yml" <<'EOF'
import sys
lines = ["l0: &l0 [" + ", ".join(f"lol{i}" for i in range(10)) + "]"]
for lvl in range(1, 10):
    lines.append(f"l{lvl}: &l{lvl} {{" + ", ".join(f"k{j}: *l{lvl-1}" for j in range(10)) + "}")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
run_opine 2 run "$WORK/m.db" "$WORK/doc.txt" --model "$WORK/laughs.yml" -q
grep -q "laughs.yml: aliases expand the document to more than 4 times its size (an alias bomb?)" "$WORK/err" ||
    fail "alias bomb: $(cat "$WORK/err")"
ok "a billion laughs is refused as an alias bomb"
printf '%%\n1\tpos\n%%\ncaf\xe9\t1\n' >"$WORK/fr.dic"
run_opine 2 run "$WORK/m.db" "$WORK/doc.txt" --model "$WORK/fr.dic" -q
grep -q "fr.dic:4:4: invalid UTF-8 (byte 0xE9).*iconv -f LATIN1 -t UTF-8" "$WORK/err" ||
    fail "Latin-1 dictionary: $(cat "$WORK/err")"
ok "a Latin-1 dictionary is refused by line and column, with the iconv to fix it"
iconv -f LATIN1 -t UTF-8 "$WORK/fr.dic" >"$WORK/fr8.dic"
run_opine 0 run "$WORK/m.db" "$WORK/doc.txt" --model "$WORK/fr8.dic" -q
expect_eq "converted, it loads as category 'pos'" pos \
    "$(q "$WORK/m.db" "SELECT t.theme FROM themes t JOIN models m ON m.id = t.model
                        WHERE m.name = 'fr8'")"

# ---- 5. a database in a read-only folder ------------------------------
# A tmpfs made read-only, in a mount namespace of its own (root; it goes
# when the namespace ends). Root ignores permissions, so a read-only file
# system is the way to have a folder root cannot write.
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
    done_testing
    skip "the read-only folder case needs root and unshare -m"
fi
mkdir "$WORK/ro"
unshare -m --propagation private bash -euc '
    w=$1 opine=$2
    mount -t tmpfs -o size=8m tmpfs "$w/ro"
    "$opine" run "$w/ro/r.db" "$w/doc.txt" -q
    mount -o remount,ro "$w/ro"
    step() {
        local name=$1 rc=0
        shift
        "$opine" "$@" >"$w/$name.out" 2>"$w/$name.err" || rc=$?
        echo "$rc" >"$w/$name.rc"
    }
    step new run "$w/ro/new.db" "$w/doc.txt" -q
    step old run "$w/ro/r.db" "$w/doc.txt" -q
    step sql sql "$w/ro/r.db" "SELECT count(*) FROM documents"
    step status status "$w/ro/r.db"
' _ "$WORK" "$OPINE" 2>"$WORK/unshare.err" ||
    fail "read-only folder: the namespace script failed: $(cat "$WORK/unshare.err")"
expect_eq "a new database in a read-only folder: exit 2" 2 "$(cat "$WORK/new.rc")"
grep -q "cannot write '$WORK/ro/new.db': Read-only file system in '$WORK/ro/'" \
    "$WORK/new.err" || fail "new database: $(cat "$WORK/new.err")"
ok "a new database in a read-only folder: the message says why"
expect_eq "writing an existing database there: exit 2" 2 "$(cat "$WORK/old.rc")"
grep -q "cannot write '$WORK/ro/r.db': Read-only file system" "$WORK/old.err" ||
    fail "existing database: $(cat "$WORK/old.err")"
ok "writing an existing database there: the message says why"
expect_eq "opine sql reads it" "0 1" "$(cat "$WORK/sql.rc") $(tail -1 "$WORK/sql.out")"
expect_eq "opine status reads it" 0 "$(cat "$WORK/status.rc")"
grep -q "^ingest  *1 " "$WORK/status.out" || fail "status: $(cat "$WORK/status.out")"
ok "opine status shows the ingested document"
done_testing
