# tests/e2e_similar.sh — opine similar against brute force: every cosine
# computed from doc_terms and terms alone (tests/similar_brute.py, plain
# Python), on the sample corpus and a synthetic one; the index kept up to
# date by later runs, stages and backfills; killed runs and killed
# updates leave an index that checks out and answers as brute force does;
# bad input is refused with a message and exit status 2. Nothing is
# timed: writers that hold a lock are paused (SIGSTOP) and let go.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
BRUTE=(python3 "$(dirname "$0")/similar_brute.py")
# The generated corpora are scored with the lexicon model: the index does
# not depend on the model, and v1 loads in a fraction of the trained
# model's time (0.07 s against 0.16 s a run; 0.37 s against 0.92 s under
# ThreadSanitizer), which the 40 runs below would pay each.
LEX=(--model us-rok-alliance@1)
S=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz

# same_as_brute WHAT OPINE_TSV BRUTE_TSV: the same documents in the same
# order (ids exactly), and the same scores to the 15 digits opine prints.
same_as_brute() {
    python3 - "$2" "$3" <<'EOF' || fail "$1: opine similar differs from brute force"
import sys
got = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()[1:]]
want = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()]
g = [(int(r[1]), float(r[3])) for r in got]
w = [(int(r[2]), float(r[3])) for r in want]
if [d for d, _ in g] != [d for d, _ in w]:
    sys.exit(f"ids {[d for d, _ in g][:12]} != {[d for d, _ in w][:12]}")
for (d, a), (_, b) in zip(g, w):
    if abs(a - b) > 1e-12:
        sys.exit(f"doc {d}: score {a!r} != {b!r}")
EOF
    ok "$1 ($(wc -l <"$3") results)"
}

# check_index WHAT DB: the index's postings are doc_terms, chunk by chunk.
check_index() {
    run_opine 0 similar "$2" --check
    grep -q "^ok: " "$WORK/out" || fail "$1: $(cat "$WORK/out" "$WORK/err")"
    ok "$1: the index checks out ($(cut -c5-60 "$WORK/out")...)"
}

# many_queries WHAT DB N SEED: N random stemmed documents as queries, the
# top 10 of each equal to brute force's (one pass over doc_terms for all).
# The sanitizer builds take a quarter of the queries (lib.sh, sanitized);
# the release build asks them all.
QDIV=1
sanitized && QDIV=4
many_queries() {
    local what=$1 db=$2 n=$(((${3} + QDIV - 1) / QDIV)) seed=$4 ids id
    ids=$(python3 -c "import random, sqlite3, sys
d = [r[0] for r in sqlite3.connect(sys.argv[1]).execute(
     'SELECT doc FROM doc_lengths ORDER BY doc')]
print(' '.join(map(str, random.Random($seed).sample(d, min($n, len(d))))))" "$db")
    rm -rf "$WORK/mq" && mkdir "$WORK/mq"
    for id in $ids; do
        "$OPINE" similar "$db" "$id" >"$WORK/mq/$id" 2>"$WORK/err" ||
            fail "$what: opine similar $id: $(cat "$WORK/err")"
    done
    "${BRUTE[@]}" "$db" --docs "${ids// /,}" --top 10 >"$WORK/mq/brute"
    python3 - "$WORK/mq" <<'EOF' || fail "$what: opine similar differs from brute force"
import collections, os, sys
want = collections.defaultdict(list)
for l in open(os.path.join(sys.argv[1], "brute")).read().splitlines():
    q, _, d, s = l.split("\t")
    want[q].append((int(d), float(s)))
for q in os.listdir(sys.argv[1]):
    if q == "brute":
        continue
    got = [(int(r[1]), float(r[3])) for r in (l.split("\t") for l in
           open(os.path.join(sys.argv[1], q)).read().splitlines()[1:])]
    w = want[q]
    if [d for d, _ in got] != [d for d, _ in w] or any(
            abs(a[1] - b[1]) > 1e-12 for a, b in zip(got, w)):
        sys.exit(f"query {q}: {got[:3]} != {w[:3]}")
EOF
    ok "$what: $(echo $ids | wc -w) random queries, each the same top 10 as brute force"
}

# 1. The sample corpus: each document against all others, every result.
run_opine 0 run "$WORK/s.db" "$S" -q
check_index "samples" "$WORK/s.db"
expect_eq "samples: every stemmed document is indexed, norms current" \
    "12|12|1" "$(q "$WORK/s.db" "SELECT (SELECT count(*) FROM similar_docs),
        (SELECT documents FROM similar_norms), (SELECT count(*) FROM similar_norms)")"
for id in $(q "$WORK/s.db" "SELECT id FROM documents ORDER BY id"); do
    "$OPINE" similar "$WORK/s.db" "$id" --top 100 >"$WORK/o.tsv"
    "${BRUTE[@]}" "$WORK/s.db" --docs "$id" --top 0 >"$WORK/b.tsv"
    same_as_brute "samples: document $id, every other document ranked" \
        "$WORK/o.tsv" "$WORK/b.tsv"
done
# by ext_id, the same as by id; the query document itself is left out
"$OPINE" similar "$WORK/s.db" sample-03 >"$WORK/e.tsv"
"$OPINE" similar "$WORK/s.db" 3 >"$WORK/i.tsv"
cmp -s "$WORK/e.tsv" "$WORK/i.tsv" || fail "sample-03 and 3 differ"
ok "a document by ext_id is the document by id"
expect_eq "top 10 by default, the query document left out" "10|0" \
    "$(tail -n +2 "$WORK/e.tsv" | awk -F'\t' '{n++; if ($3 == "sample-03") s++}
        END {print n "|" s + 0}')"
expect_eq "columns" "rank	id	ext_id	score	outlet	published	title	shared_terms" \
    "$(head -n 1 "$WORK/e.tsv")"

# Shared terms: the terms both have, by what they add to the score.
python3 - "$WORK/s.db" <<'EOF' >"$WORK/terms.want"
import math, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("SELECT count(*) FROM doc_lengths").fetchone()[0]
idf = {s: math.log(n / df) for s, df in c.execute("SELECT stem, df FROM terms")}
q = dict(c.execute("SELECT stem, tf FROM doc_terms WHERE doc = 3"))
top = c.execute("SELECT id FROM documents WHERE ext_id = 'sample-12'").fetchone()[0]
d = dict(c.execute("SELECT stem, tf FROM doc_terms WHERE doc = ?", (top,)))
sh = sorted(((q[s] * idf[s]) * (d[s] * idf[s]), s) for s in q if s in d)
sh.sort(key=lambda x: (-x[0], x[1]))
print(", ".join(c.execute("SELECT coalesce(surface, stem) FROM stems WHERE id = ?",
                          (s,)).fetchone()[0] for _, s in sh[:4]))
EOF
expect_eq "shared terms: the four that add most, by surface form" \
    "$(cat "$WORK/terms.want")" \
    "$("$OPINE" similar "$WORK/s.db" sample-03 --terms 4 --top 100 |
        awk -F'\t' '$3 == "sample-12" {print $8}')"

# 2. A text, cut and stemmed as the database was: its stems (opine's own
# analysis of them, through opine sql) scored by brute force.
printf 'Seoul and Washington must keep their alliance strong against\nNorth Korea, and share the burden of troops on the peninsula.\n' >"$WORK/t.txt"
"$OPINE" sql "$WORK/s.db" "SELECT stem FROM opine_tokens('$(sed "s/'/''/g" "$WORK/t.txt")') WHERE NOT stop" |
    tail -n +2 >"$WORK/t.stems"
"$OPINE" similar "$WORK/s.db" --text "$WORK/t.txt" --top 100 >"$WORK/o.tsv"
"${BRUTE[@]}" "$WORK/s.db" --stems "$WORK/t.stems" --top 0 >"$WORK/b.tsv"
same_as_brute "a text query, every document ranked" "$WORK/o.tsv" "$WORK/b.tsv"
"$OPINE" similar "$WORK/s.db" --text - --top 100 <"$WORK/t.txt" >"$WORK/o2.tsv"
cmp -s "$WORK/o.tsv" "$WORK/o2.tsv" || fail "--text - differs from the file"
ok "--text - reads standard input"
# A stored document's own text finds that document first, with score 1
# (to the last digit printed), then what the document itself finds.
PYTHONPATH="$TESTS" /usr/bin/python3 -c "import sqlite3, sys, body
c = sqlite3.connect(sys.argv[1])
sys.stdout.write(body.text(c.execute(\"SELECT body FROM documents WHERE ext_id = 'sample-07'\").fetchone()[0]))" \
    "$WORK/s.db" >"$WORK/d7.txt"
"$OPINE" similar "$WORK/s.db" --text "$WORK/d7.txt" --top 12 >"$WORK/t7.tsv"
expect_eq "a document's text: the document first, score 1" "sample-07|1.0" \
    "$(awk -F'\t' 'NR == 2 {print $3 "|" $4}' "$WORK/t7.tsv")"
"$OPINE" similar "$WORK/s.db" sample-07 --top 11 >"$WORK/d7.tsv"
expect_eq "a document's text: then what the document finds, score for score" \
    "$(tail -n +2 "$WORK/d7.tsv" | cut -f2-)" \
    "$(tail -n +3 "$WORK/t7.tsv" | cut -f2-)"

# 3. Groups: each outlet's nearest, in the order of their nearest one.
"$OPINE" similar "$WORK/s.db" sample-01 --by outlet --top 2 >"$WORK/by.tsv"
"$OPINE" similar "$WORK/s.db" sample-01 --top 100 >"$WORK/all.tsv"
expect_eq "--by outlet: the first 2 of each outlet, outlets by their nearest" \
    "$(tail -n +2 "$WORK/all.tsv" | awk -F'\t' '
        !($5 in n) {order[++g] = $5}
        ++n[$5] <= 2 {rows[$5] = rows[$5] $5 "\t" n[$5] "\t" $1 "\t" $2 "\n"}
        END {for (i = 1; i <= g; i++) printf "%s", rows[order[i]]}')" \
    "$(tail -n +2 "$WORK/by.tsv" | cut -f1-4)"
expect_eq "--by year: one row for each year among the results" \
    "$(tail -n +2 "$WORK/all.tsv" | cut -f6 | cut -c1-4 | sort -u | wc -l)" \
    "$("$OPINE" similar "$WORK/s.db" sample-01 --by year --top 1 | tail -n +2 | wc -l)"
run_opine 0 similar "$WORK/s.db" sample-01 --by meta:topic --top 1 --json
python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
assert r and all('topic' in x and x['rank'] == 1 for x in r), r" "$WORK/out" ||
    fail "--by meta:topic --json"
ok "--by meta:KEY groups by doc_meta, --json is a list of objects"
run_opine 0 similar "$WORK/s.db" sample-01 --csv --top 3
expect_eq "--csv: a header and 3 rows" 4 "$(wc -l <"$WORK/out")"

# 4. A larger corpus, then more documents added by later runs: the index
# takes them without being rebuilt and still equals brute force.
bash "$(dirname "$0")/gen_corpus.sh" 1500 7 >"$WORK/g.jsonl"
head -n 1000 "$WORK/g.jsonl" >"$WORK/g1.jsonl"
tail -n 500 "$WORK/g.jsonl" >"$WORK/g2.jsonl"
run_opine 0 run "$WORK/g.db" "$WORK/g1.jsonl" "${LEX[@]}" -q
many_queries "1,000 documents" "$WORK/g.db" 100 13
cp "$WORK/g.db" "$WORK/g-first.db"
run_opine 0 run "$WORK/g.db" "$WORK/g2.jsonl" "${LEX[@]}" -q
check_index "after a second run" "$WORK/g.db"
expect_eq "a later run adds chunks and leaves the earlier ones as they were" \
    "0|1" "$(q "$WORK/g.db" "ATTACH '$WORK/g-first.db' AS a;
    SELECT (SELECT count(*) FROM a.similar_postings p WHERE NOT EXISTS
            (SELECT 1 FROM main.similar_postings m WHERE m.id = p.id
             AND m.postings = p.postings)),
           (SELECT count(*) FROM main.similar_postings)
           > (SELECT count(*) FROM a.similar_postings)")"
expect_eq "norms current for all 1,500" "1500" \
    "$(q "$WORK/g.db" "SELECT documents FROM similar_norms")"
many_queries "1,000 + 500 documents" "$WORK/g.db" 100 14
# the same as the whole corpus in one run, result for result (by ext_id)
run_opine 0 run "$WORK/g-all.db" "$WORK/g.jsonl" "${LEX[@]}" -q
for id in g000007 g001234 g001499; do
    "$OPINE" similar "$WORK/g.db" "$id" | cut -f3,4 >"$WORK/inc.tsv"
    "$OPINE" similar "$WORK/g-all.db" "$id" | cut -f3,4 >"$WORK/all.tsv"
    cmp -s "$WORK/inc.tsv" "$WORK/all.tsv" || fail "$id: incremental != from scratch"
done
ok "incremental runs answer as one run over everything"
# stage by stage: ingest and tokenize leave the index alone, stem fills it
run_opine 0 ingest "$WORK/st.db" "$WORK/g1.jsonl" -q
run_opine 0 tokenize "$WORK/st.db" -q
run_opine 0 stem "$WORK/st.db" -q
run_opine 0 ingest "$WORK/st.db" "$WORK/g2.jsonl" -q
run_opine 2 similar "$WORK/st.db" g001400
grep -q "not stemmed yet" "$WORK/err" || fail "unstemmed DOC: $(cat "$WORK/err")"
ok "a document not stemmed yet is named as such"
run_opine 0 tokenize "$WORK/st.db" -q
run_opine 0 stem "$WORK/st.db" -q
check_index "stages" "$WORK/st.db"
many_queries "stage by stage" "$WORK/st.db" 30 15

# Many small runs, a generation of chunks each: young ones are merged once
# there are more than 32, so a query reads few rows per term. The first
# two are out of document order (a run takes its input first, then the
# documents an earlier ingest left), so the merge interleaves their
# postings.
sed -n '1,20p' "$WORK/g.jsonl" >"$WORK/small.jsonl"
run_opine 0 ingest "$WORK/m.db" "$WORK/small.jsonl" -q
for i in $(seq 1 33); do
    sed -n "$((i * 20 + 1)),$((i * 20 + 20))p" "$WORK/g.jsonl" >"$WORK/small.jsonl"
    run_opine 0 run "$WORK/m.db" "$WORK/small.jsonl" "${LEX[@]}" -q
    if [ "$i" = 1 ]; then
        expect_eq "a run's input, then the documents left before it: two generations, the second's documents first" \
            "21 1" "$(python3 - "$WORK/m.db" <<'EOF'
import sqlite3, sys
first = {}
for i, b in sqlite3.connect(sys.argv[1]).execute(
        "SELECT id, postings FROM similar_postings"):
    d = b[0] | b[1] << 8  # the first posting's gap from 0: its document
    first[i >> 32] = min(first.get(i >> 32, d), d)
print(" ".join(str(first[g]) for g in sorted(first)))
EOF
)"
    fi
done
expect_eq "after 34 generations, merged down to at most 32" 1 \
    "$(q "$WORK/m.db" "SELECT count(*) BETWEEN 2 AND 32 FROM similar_generations")"
check_index "after merges" "$WORK/m.db"
many_queries "after merges" "$WORK/m.db" 40 16

# 5. Killed runs. Inside a transaction (its postings written, not
# committed): the index holds exactly the committed documents.
bash "$(dirname "$0")/gen_corpus.sh" 3000 11 | gzip -1 >"$WORK/k.jsonl.gz"
rc=0
OPINE_FAULT=commit@2 "$OPINE" run "$WORK/k.db" "$WORK/k.jsonl.gz" --commit-every 1 "${LEX[@]}" -q \
    >/dev/null 2>&1 || rc=$?
expect_eq "killed at the second commit" 137 "$rc"
check_index "killed mid-transaction" "$WORK/k.db"
expect_eq "killed mid-transaction: norms stale (the run never got to them)" 0 \
    "$(q "$WORK/k.db" "SELECT count(*) FROM similar_norms")"
many_queries "killed mid-transaction, norms made by opine similar" "$WORK/k.db" 30 17
run_opine 0 run "$WORK/k.db" "$WORK/k.jsonl.gz" "${LEX[@]}" -q
check_index "rerun after the kill" "$WORK/k.db"
many_queries "rerun after the kill" "$WORK/k.db" 30 18
# Killed while the run brings the index up to date (its last step).
rc=0
OPINE_FAULT=similar "$OPINE" run "$WORK/k2.db" "$WORK/g.jsonl" "${LEX[@]}" -q >/dev/null 2>"$WORK/err" || rc=$?
expect_eq "killed in the index update" 137 "$rc"
grep -q "fault point 'similar'" "$WORK/err" || fail "the point was not reached"
check_index "killed in the index update" "$WORK/k2.db"
many_queries "killed in the index update" "$WORK/k2.db" 30 19
# Killed while opine similar makes the index of a file that had none (as
# an older opine leaves it): nothing half done, and the next call makes it.
cp "$WORK/s.db" "$WORK/old.db"
q "$WORK/old.db" "DROP TABLE similar_postings; DROP TABLE similar_docs; DROP TABLE similar_generations;
                  DROP TABLE similar_norms"
rc=0
OPINE_FAULT=similar "$OPINE" similar "$WORK/old.db" sample-01 >/dev/null 2>&1 || rc=$?
expect_eq "opine similar killed while making the index" 137 "$rc"
expect_eq "killed while making the index: nothing of it committed" "0|0" \
    "$(q "$WORK/old.db" "SELECT (SELECT count(*) FROM similar_docs), (SELECT count(*) FROM similar_postings)")"
"$OPINE" similar "$WORK/old.db" sample-01 --top 100 >"$WORK/o.tsv"
"${BRUTE[@]}" "$WORK/old.db" --docs 1 --top 0 >"$WORK/b.tsv"
same_as_brute "an index made by opine similar from doc_terms" "$WORK/o.tsv" "$WORK/b.tsv"
check_index "an index made by opine similar" "$WORK/old.db"
# Stale norms while another process writes: answered from norms made in
# memory, the same answer, nothing written. First an opine run paused in
# its open transaction (it holds the writer lock, pipeline/lock.h), then
# another program's write transaction (SQLite's lock alone).
q "$WORK/old.db" "DELETE FROM similar_norms"
answers_from_memory() { # WHAT: the answer of o.tsv, from memory
    "$OPINE" similar "$WORK/old.db" sample-01 --top 100 >"$WORK/o2.tsv" 2>"$WORK/err" ||
        fail "$1: $(cat "$WORK/err")"
    cmp -s "$WORK/o.tsv" "$WORK/o2.tsv" || fail "$1: another answer"
    expect_eq "$1: the same answer, from norms made in memory, nothing written" 0 \
        "$(q "$WORK/old.db" "SELECT count(*) FROM similar_norms")"
}
gzip -dc "$S" | sed 's/"id": "sample-/"id": "more-/; s/\(text": "\)/\1More. /' \
    >"$WORK/more.jsonl"
OPINE_FAULT=batch@1:stop "$OPINE" run "$WORK/old.db" "$WORK/more.jsonl" -q \
    2>"$WORK/w.err" &
w=$!
PIDS="$PIDS $w"
wait_stopped "$w" "opine run paused in its transaction"
answers_from_memory "stale norms, a run writing"
kill -KILL "$w"
wait "$w" 2>/dev/null || true
sqlite3 "$WORK/old.db" "BEGIN IMMEDIATE;" "INSERT INTO meta VALUES('held', 1);" \
    '.shell kill -STOP $PPID' "ROLLBACK;" 2>/dev/null &
h=$!
PIDS="$PIDS $h"
wait_stopped "$h" "sqlite3 in a write transaction"
answers_from_memory "stale norms, another program writing"
kill -CONT "$h"
wait "$h" || fail "sqlite3 did not finish"
run_opine 0 similar "$WORK/old.db" sample-01 --top 100
cmp -s "$WORK/o.tsv" "$WORK/out" || fail "stale norms, nobody writing: another answer"
expect_eq "stale norms, nobody writing: made current in the file" 1 \
    "$(q "$WORK/old.db" "SELECT count(*) FROM similar_norms")"
check_index "after the killed run and the update" "$WORK/old.db"
# No index at all (an older opine's file), and another program writing:
# nothing to answer from; a message, exit 2, and the next call makes it.
cp "$WORK/s.db" "$WORK/noindex.db"
q "$WORK/noindex.db" "DROP TABLE similar_postings; DROP TABLE similar_docs;
                   DROP TABLE similar_generations; DROP TABLE similar_norms"
sqlite3 "$WORK/noindex.db" "BEGIN IMMEDIATE;" "INSERT INTO meta VALUES('held', 1);" \
    '.shell kill -STOP $PPID' "ROLLBACK;" 2>/dev/null &
h=$!
PIDS="$PIDS $h"
wait_stopped "$h" "sqlite3 in a write transaction"
run_opine 2 similar "$WORK/noindex.db" sample-01
grep -q "no similarity index yet, and it cannot be made now" "$WORK/err" ||
    fail "no index, another program writing: $(cat "$WORK/err")"
ok "no index, another program writing: exit 2, says to run it again where it can write"
kill -CONT "$h"
wait "$h" || fail "sqlite3 did not finish"
run_opine 0 similar "$WORK/noindex.db" sample-01
check_index "no index, then nobody writing: made" "$WORK/noindex.db"

# 6. Bad input: a message, exit status 2.
bad() { # bad WHAT PATTERN ARGS...
    local what=$1 pat=$2
    shift 2
    run_opine 2 "$@"
    grep -q "$pat" "$WORK/err" || fail "$what: $(cat "$WORK/err")"
    ok "$what: exit 2, says '$pat'"
}
bad "unknown DOC" "no document 'nope'" similar "$WORK/s.db" nope
bad "unknown numeric id" "no document '999'" similar "$WORK/s.db" 999
: >"$WORK/empty.txt"
bad "empty text" "has no words to compare (it is empty)" \
    similar "$WORK/s.db" --text "$WORK/empty.txt"
printf 'the of and to it is\n' >"$WORK/stop.txt"
bad "stop words only" "only stop words" similar "$WORK/s.db" --text "$WORK/stop.txt"
printf 'zzyzx qwertyuiop\n' >"$WORK/unknown.txt"
bad "words the corpus never saw" "no term of" \
    similar "$WORK/s.db" --text "$WORK/unknown.txt"
bad "missing text file" "cannot read" similar "$WORK/s.db" --text "$WORK/none.txt"
: >"$WORK/empty.jsonl"
run_opine 1 run "$WORK/empty.db" "$WORK/empty.jsonl" -q
bad "empty database" "no document is stemmed yet" similar "$WORK/empty.db" x
bad "no database" "cannot open" similar "$WORK/none.db" x
bad "no DOC" "wants one DOC" similar "$WORK/s.db"
bad "--top 0" "from 1 to" similar "$WORK/s.db" sample-01 --top 0
bad "unknown --by" "unknown --by 'party'" similar "$WORK/s.db" sample-01 --by party
printf '{"id": "twin", "text": "Alliance burdens rise."}\n{"id": "twin", "text": "Troops stay on the peninsula."}\n' >"$WORK/twins.jsonl"
run_opine 0 run "$WORK/s.db" "$WORK/twins.jsonl" -q
bad "an ext_id two documents share" "is the id of several documents" \
    similar "$WORK/s.db" twin
run_opine 0 similar "$WORK/s.db" "$(q "$WORK/s.db" "SELECT max(id) FROM documents")"
ok "one of them by its number"
run_opine 0 similar "$WORK/s.db" --help
grep -q "^usage: opine similar" "$WORK/out" || fail "--help"
ok "--help"
done_testing
