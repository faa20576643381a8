# tests/e2e_search.sh — opine search and opine kwic against brute force
# (tests/search_brute.py, plain Python reading every token stream): random
# queries drawn from each corpus's own words (words, phrases, prefixes,
# AND / OR / NOT), on the sample corpus and a generated one. Every query's
# documents, hits and BM25 scores (to 1e-9), its order, its count, and
# every keyword-in-context row (document, token, left, hit, right) must be
# brute force's. Then trend and terms against SQL over doc_terms, the
# filters, a database whose index lacks documents, and bad queries.
# SEARCH_QUERIES sets how many queries per corpus (50; the valgrind run
# and the sanitizer builds take fewer).
. "$(dirname "$0")/lib.sh"
BRUTE=(/usr/bin/python3 "$(dirname "$0")/search_brute.py")
S=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz
NQ=${SEARCH_QUERIES:-50}
[ -n "${OPINE_VALGRIND:-}" ] && NQ=${SEARCH_QUERIES:-3}
sanitized && NQ=${SEARCH_QUERIES:-15}
# TSan looks for races, and queries start no thread (the two-thread
# pass over every posting is the top terms', below): fewer there
[ "${OPINE_TSAN:-OFF}" = ON ] && NQ=${SEARCH_QUERIES:-8}

run_opine 0 run "$WORK/s.db" "$S" -q
# the generated corpus in three runs: the index then holds three
# generations, which queries and a pass over every posting (on two
# threads) must put together
bash "$OPINE_SRC/tests/gen_corpus.sh" 300 11 >"$WORK/gen.jsonl"
for part in 1 2 3; do
    sed -n "$((part * 100 - 99)),$((part * 100))p" "$WORK/gen.jsonl" >"$WORK/gen$part.jsonl"
    run_opine 0 run "$WORK/g.db" "$WORK/gen$part.jsonl" -q
done
expect_eq "the generated corpus's index has three generations" 3 \
    "$(q "$WORK/g.db" "SELECT count(*) FROM similar_generations")"

# against_brute WHAT DB SEED [GEN]: NQ random queries (search_brute.py
# GEN's, default gen), each through opine search (all results), search
# --count and kwic --window 3, compared with brute force's answers.
against_brute() {
    local what=$1 db=$2 seed=$3 i=0 text
    "${BRUTE[@]}" "${4:-gen}" "$db" "$NQ" "$seed" >"$WORK/q.jsonl"
    "${BRUTE[@]}" run "$db" "$WORK/q.jsonl" 3 >"$WORK/want.jsonl"
    rm -rf "$WORK/got" && mkdir "$WORK/got"
    while IFS= read -r text; do
        i=$((i + 1))
        "$OPINE" search "$db" "$text" --limit 0 --snippet 0 \
            >"$WORK/got/$i.search" 2>"$WORK/err" ||
            fail "$what: opine search '$text': $(cat "$WORK/err")"
        "$OPINE" search "$db" "$text" --count >"$WORK/got/$i.count" \
            2>"$WORK/err" || fail "$what: --count '$text': $(cat "$WORK/err")"
        "$OPINE" kwic "$db" "$text" --window 3 --tsv >"$WORK/got/$i.kwic" \
            2>"$WORK/err" || fail "$what: opine kwic '$text': $(cat "$WORK/err")"
    done < <(python3 -c 'import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["text"])' "$WORK/q.jsonl")
    python3 - "$WORK/want.jsonl" "$WORK/got" "$what" <<'EOF' || fail "$what: opine differs from brute force"
import csv, json, sys
want = [json.loads(l) for l in open(sys.argv[1])]
got, what = sys.argv[2], sys.argv[3]
hits = rows = empty = 0
for i, w in enumerate(want, 1):
    q = w["text"]
    lines = open(f"{got}/{i}.search").read().splitlines()
    head = lines[0].split("\t")
    assert head[:5] == ["rank", "doc", "ext_id", "score", "hits"], head
    res = [l.split("\t") for l in lines[1:]]
    docs = {int(r[1]): (int(r[4]), float(r[3])) for r in res}
    wd = {int(d): v for d, v in w["docs"].items()}
    if set(docs) != set(wd):
        sys.exit(f"{q}: documents {sorted(set(docs) ^ set(wd))[:10]} differ"
                 f" ({len(docs)} vs brute force's {len(wd)})")
    for d, (h, s) in docs.items():
        if h != wd[d][0] or abs(s - wd[d][1]) > 1e-9 * max(1, abs(s)):
            sys.exit(f"{q}: doc {d}: hits {h}, score {s!r}; brute force"
                     f" {wd[d][0]}, {wd[d][1]!r}")
    order = [(-float(r[3]), int(r[1])) for r in res]
    if order != sorted(order) or [int(r[0]) for r in res] != list(
            range(1, len(res) + 1)):
        sys.exit(f"{q}: not ranked by score, then id")
    n = int(open(f"{got}/{i}.count").read())
    if n != len(wd):
        sys.exit(f"{q}: --count {n}, brute force {len(wd)}")
    with open(f"{got}/{i}.kwic", newline="") as f:
        k = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert k[0] == ["doc", "ext_id", "outlet", "published", "token", "left",
                    "hit", "right"], k[0]
    kg = [[int(r[0]), int(r[4]), r[5], r[6], r[7]] for r in k[1:]]
    if kg != w["kwic"]:
        bad = next(j for j in range(max(len(kg), len(w["kwic"])))
                   if j >= len(kg) or j >= len(w["kwic"])
                   or kg[j] != w["kwic"][j])
        sys.exit(f"{q}: kwic row {bad}: {kg[bad] if bad < len(kg) else None}"
                 f" != {w['kwic'][bad] if bad < len(w['kwic']) else None}")
    hits += len(wd)
    rows += len(kg)
    empty += not wd
print(f"{len(want)} queries, {hits} matching documents, {rows} kwic rows,"
      f" {empty} queries matching nothing")
EOF
    ok "$what: $NQ queries equal brute force's documents, hits, scores, order, counts and kwic rows"
}

against_brute "sample corpus" "$WORK/s.db" 3
against_brute "generated corpus" "$WORK/g.db" 5

# With --positions on (kept by the file for the runs after it), NEAR of
# words is answered from the index's positions (search_positions), which
# a run writes in parts as they fill: here parts of 256 bytes, so that a
# chunk's positions come in many parts. Without (the default: s.db and
# g.db above), none are written. The same answers as brute
# force; then a file without positions (an older opine's) answers from
# token streams, and a run into it adds a generation with positions
# beside the older ones without: the same answers again, and the check
# (every position a token of its stem) passes. Under valgrind and the
# sanitizers (each command slower by 5 to 50 times) one run of the three,
# and not the older file: the release build's run checks those.
parts=(1 2 3) full=1
if [ -n "${OPINE_VALGRIND:-}" ] || sanitized; then
    parts=(1) full=0
fi
for part in "${parts[@]}"; do
    OPINE_POSITIONS_PART=256 run_opine 0 run "$WORK/gp.db" \
        "$WORK/gen$part.jsonl" -q $([ "$part" = 1 ] && echo --positions on)
done
expect_eq "without --positions, no positions" "0 0" \
    "$(q "$WORK/g.db" "SELECT count(*) FROM search_positions") $(q "$WORK/s.db" \
        "SELECT count(*) FROM search_positions")"
expect_eq "positions come in many parts of a generation" 1 \
    "$(q "$WORK/gp.db" "SELECT max(id & 255) > 4 FROM search_positions")"
run_opine 0 similar "$WORK/gp.db" --check
expect_eq "similar --check counts every counted token's position" \
    "$(q "$WORK/gp.db" "SELECT sum(cf) FROM terms") positions" \
    "$(grep -o '[0-9]* positions$' "$WORK/out")"
against_brute "NEAR of words, by positions" "$WORK/gp.db" 7 gen-near
near_answers() { # near_answers DB OUT: every NEAR query's results
    local text
    : >"$2"
    while IFS= read -r text; do
        "$OPINE" search "$1" "$text" --limit 0 --snippet 0 >>"$2" 2>&1 ||
            fail "opine search '$text' on $1: $(cat "$2")"
    done < <(python3 -c 'import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["text"])' "$WORK/q.jsonl")
}
if [ "$full" = 1 ]; then
    near_answers "$WORK/gp.db" "$WORK/near.pos"
    cp "$WORK/gp.db" "$WORK/nopos.db"
    q "$WORK/nopos.db" "DROP TABLE search_positions"
    near_answers "$WORK/nopos.db" "$WORK/near.nopos"
    cmp -s "$WORK/near.pos" "$WORK/near.nopos" ||
        fail "NEAR without positions differs: $(diff "$WORK/near.pos" "$WORK/near.nopos" | head -5)"
    bash "$OPINE_SRC/tests/gen_corpus.sh" 30 12 | sed 's/"id": "g/"id": "n/' \
        >"$WORK/gen4.jsonl"
    run_opine 0 run "$WORK/nopos.db" "$WORK/gen4.jsonl" -q
    expect_eq "the run into it wrote positions for its generation only" \
        "1 1" "$(q "$WORK/nopos.db" "SELECT (SELECT count(*) > 0 FROM
            search_positions) || ' ' || (SELECT count(DISTINCT id >> 40) = 1
            FROM search_positions)")"
    run_opine 0 similar "$WORK/nopos.db" --check
    against_brute "NEAR of words, generations with and without positions" \
        "$WORK/nopos.db" 7 gen-near
fi

# trend: per outlet, the documents and hits of a word equal SQL over
# doc_terms (the postings are its rows).
stem=$(q "$WORK/g.db" "SELECT s.stem FROM terms t JOIN stems s ON s.id = t.stem
    ORDER BY t.df DESC LIMIT 1 OFFSET 7")
word=$(q "$WORK/g.db" "SELECT type FROM types WHERE stem =
    (SELECT id FROM stems WHERE stem = '$stem') AND stopword = 0 LIMIT 1")
run_opine 0 trend "$WORK/g.db" "$word" --by outlet --csv
sort <(tail -n +2 "$WORK/out" | cut -d, -f1-3) >"$WORK/trend.got"
q -separator , "$WORK/g.db" "SELECT d.outlet, count(*), sum(dt.tf) FROM doc_terms dt
    JOIN documents d ON d.id = dt.doc JOIN stems s ON s.id = dt.stem
    WHERE s.stem = '$stem' GROUP BY 1" | sort >"$WORK/trend.want"
cmp -s "$WORK/trend.got" "$WORK/trend.want" ||
    fail "trend '$word' by outlet: $(diff "$WORK/trend.got" "$WORK/trend.want" | head -5)"
ok "trend by outlet equals doc_terms ($(wc -l <"$WORK/trend.want") outlets)"
run_opine 0 trend "$WORK/g.db" "$word" --by month
months=$(q "$WORK/g.db" "SELECT count(DISTINCT substr(published, 1, 7)) FROM
    documents d JOIN doc_lengths l ON l.doc = d.id WHERE published IS NOT NULL")
expect_eq "trend lists every month with documents" "$months" \
    "$(($(wc -l <"$WORK/out") - 1))"

# terms: the top terms of an outlet equal doc_terms summed.
outlet=$(q "$WORK/g.db" "SELECT outlet FROM documents GROUP BY 1 ORDER BY 1 LIMIT 1")
run_opine 0 terms "$WORK/g.db" --outlet "$outlet" --top 15 --csv
tail -n +2 "$WORK/out" | cut -d, -f1,3-5 >"$WORK/terms.got"
q -separator , "$WORK/g.db" "SELECT row_number() OVER (ORDER BY sum(dt.tf) DESC,
    count(*) DESC, dt.stem), s.stem, sum(dt.tf), count(*) FROM doc_terms dt
    JOIN documents d ON d.id = dt.doc JOIN stems s ON s.id = dt.stem
    WHERE d.outlet = '$outlet' GROUP BY dt.stem
    ORDER BY sum(dt.tf) DESC, count(*) DESC, dt.stem LIMIT 15" >"$WORK/terms.want"
cmp -s "$WORK/terms.got" "$WORK/terms.want" ||
    fail "terms of '$outlet': $(diff "$WORK/terms.got" "$WORK/terms.want" | head -5)"
ok "the top terms of '$outlet' equal doc_terms summed"
# a small group (under a twentieth of the documents) is counted another way
run_opine 0 terms "$WORK/g.db" --where "d.id <= 12" --top 15 --csv
tail -n +2 "$WORK/out" | cut -d, -f1,3-5 >"$WORK/terms.got"
q -separator , "$WORK/g.db" "SELECT row_number() OVER (ORDER BY sum(dt.tf) DESC,
    count(*) DESC, dt.stem), s.stem, sum(dt.tf), count(*) FROM doc_terms dt
    JOIN stems s ON s.id = dt.stem WHERE dt.doc <= 12 GROUP BY dt.stem
    ORDER BY sum(dt.tf) DESC, count(*) DESC, dt.stem LIMIT 15" >"$WORK/terms.want"
cmp -s "$WORK/terms.got" "$WORK/terms.want" ||
    fail "terms of 12 documents: $(diff "$WORK/terms.got" "$WORK/terms.want" | head -5)"
ok "the top terms of 12 documents equal doc_terms summed"
# Up to half the documents are counted from their term vectors (or their
# doc_terms rows where a file has none), more in one pass over the
# postings: the same answers all three ways.
terms_want() {
    q -separator , "$WORK/g.db" "SELECT row_number() OVER (ORDER BY sum(dt.tf) DESC,
        count(*) DESC, dt.stem), s.stem, sum(dt.tf), count(*) FROM doc_terms dt
        JOIN stems s ON s.id = dt.stem WHERE $1 GROUP BY dt.stem
        ORDER BY sum(dt.tf) DESC, count(*) DESC, dt.stem LIMIT 25"
}
cp "$WORK/g.db" "$WORK/halfvec.db"
q "$WORK/halfvec.db" "DELETE FROM doc_vectors WHERE doc % 2 = 0" >/dev/null
dbs="g.db halfvec.db"
# (under valgrind the file with half its vectors alone: every way is in it)
[ -n "${OPINE_VALGRIND:-}" ] && dbs=halfvec.db
for db in $dbs; do
    for where in "d.id % 3 = 0" "d.id % 4 != 0"; do
        run_opine 0 terms "$WORK/$db" --where "$where" --top 25 --csv
        tail -n +2 "$WORK/out" | cut -d, -f1,3-5 >"$WORK/terms.got"
        terms_want "$(echo "$where" | sed 's/d\.id/dt.doc/')" >"$WORK/terms.want"
        cmp -s "$WORK/terms.got" "$WORK/terms.want" ||
            fail "terms of $where in $db: $(diff "$WORK/terms.got" "$WORK/terms.want" | head -5)"
    done
done
ok "the top terms of a third (vectors, doc_terms where a file lacks them) and of three quarters (postings) equal doc_terms summed"
# A document of stop words alone has no terms, and an empty vector
# (X is half the documents: counted from vectors).
printf '%s\n' '{"id": "a", "outlet": "X", "text": "the of and"}' \
    '{"id": "b", "outlet": "X", "text": "Korea alliance talks matter."}' \
    '{"id": "c", "outlet": "Y", "text": "China trade war tariffs."}' \
    '{"id": "d", "outlet": "Y", "text": "Alliance with Japan."}' >"$WORK/stop.jsonl"
"$OPINE" run "$WORK/stop.db" "$WORK/stop.jsonl" -q 2>"$WORK/err" || fail "$(cat "$WORK/err")"
run_opine 0 terms "$WORK/stop.db" --outlet X --top 10 --csv
expect_eq "an outlet with a document of stop words alone: its other document's terms" \
    "allianc korea matter talk" "$(tail -n +2 "$WORK/out" | cut -d, -f3 | sort | tr '\n' ' ' | sed 's/ $//')"

# filters: --outlet, --from/--to and --meta keep what SQL keeps.
run_opine 0 search "$WORK/g.db" "$word" --outlet "$outlet" --from 2019 \
    --to 2020 --limit 0 --snippet 0
got=$(tail -n +2 "$WORK/out" | cut -f2 | sort -n | tr '\n' ' ')
want=$(q "$WORK/g.db" "SELECT dt.doc FROM doc_terms dt JOIN documents d
    ON d.id = dt.doc JOIN stems s ON s.id = dt.stem WHERE s.stem = '$stem'
    AND d.outlet = '$outlet' AND d.published >= '2019'
    AND substr(d.published, 1, 4) <= '2020' ORDER BY 1" | tr '\n' ' ')
expect_eq "search with --outlet, --from and --to" "$want" "$got"
# a prefix of many stems under a filter: its chunks come generation by
# generation, each in stem order, so the documents it decodes go down and
# up again many times (and the command reads them with pread())
pre=$(printf %s "$word" | cut -c1-2)
run_opine 0 search "$WORK/g.db" "$pre*" --outlet "$outlet" --limit 0 --snippet 0
got=$(tail -n +2 "$WORK/out" | cut -f2 | sort -n | tr '\n' ' ')
want=$(q "$WORK/g.db" "SELECT DISTINCT dt.doc FROM doc_terms dt JOIN documents d
    ON d.id = dt.doc WHERE d.outlet = '$outlet' AND dt.stem IN (SELECT stem
    FROM types WHERE type >= '$pre' AND type < '$pre' || char(1114111)
    AND stopword = 0 AND stem IS NOT NULL) ORDER BY 1" | tr '\n' ' ')
nstems=$(q "$WORK/g.db" "SELECT count(DISTINCT stem) FROM types WHERE
    type >= '$pre' AND type < '$pre' || char(1114111) AND stopword = 0")
[ "$nstems" -gt 11 ] || fail "'$pre*' has $nstems stems, too few for this check"
expect_eq "search '$pre*' ($nstems stems) with --outlet" "$want" "$got"
run_opine 0 search "$WORK/g.db" "$word" --where "d.id % 2 = 0" --count
want=$(q "$WORK/g.db" "SELECT count(*) FROM doc_terms dt JOIN stems s
    ON s.id = dt.stem WHERE s.stem = '$stem' AND dt.doc % 2 = 0")
expect_eq "search with --where" "$want" "$(cat "$WORK/out")"

# snippets mark the hits of the best part of a document
run_opine 0 search "$WORK/s.db" alliance --limit 3 --mark '<<,>>'
grep -q '<<[Aa]llian' "$WORK/out" || fail "no marked hit in the snippets: $(cat "$WORK/out")"
ok "snippets mark hits"

# A database without the index (an older opine made it) answers the same:
# from doc_terms while another program writes it (the index cannot be
# made then, and nothing is written), and after building the index when
# it can be written (which then checks out).
cp "$WORK/g.db" "$WORK/old.db"
q "$WORK/old.db" "DROP TABLE similar_postings; DROP TABLE similar_docs;
    DROP TABLE similar_generations; DROP TABLE similar_norms"
run_opine 0 search "$WORK/g.db" "$word OR ka*" --limit 0 --snippet 0
cut -f2,4,5 "$WORK/out" >"$WORK/a"
sqlite3 "$WORK/old.db" "BEGIN IMMEDIATE;" "INSERT INTO meta VALUES('held', 1);" \
    '.shell kill -STOP $PPID' "ROLLBACK;" 2>/dev/null &
h=$!
trap 'kill -KILL $h 2>/dev/null || true; rm -rf "$WORK"' EXIT
wait_stopped "$h" "sqlite3 in a write transaction"
run_opine 0 search "$WORK/old.db" "$word OR ka*" --limit 0 --snippet 0
cut -f2,4,5 "$WORK/out" >"$WORK/b"
kill -CONT "$h"
wait "$h" || fail "sqlite3 did not finish"
cmp -s "$WORK/a" "$WORK/b" || fail "no index, another program writing: the answers differ"
expect_eq "no index, another program writing: nothing written" 0 \
    "$(q "$WORK/old.db" "SELECT count(*) FROM sqlite_master WHERE name = 'similar_docs'")"
run_opine 0 search "$WORK/old.db" "$word OR ka*" --limit 0 --snippet 0
cut -f2,4,5 "$WORK/out" >"$WORK/c"
cmp -s "$WORK/a" "$WORK/c" || fail "no index, nobody writing: the answers differ"
run_opine 0 similar "$WORK/old.db" --check
grep -q "^ok: 300 documents indexed" "$WORK/out" || fail "index not built: $(cat "$WORK/out")"
ok "without an index: the same answers from doc_terms, and after building it ($(wc -l <"$WORK/a") rows)"

# N, the stemmed documents, is doc_lengths_count, which two triggers keep:
# equal to count(*) after one run and after three; a file without the
# counter (an older opine's) answers the same from count(*), and its next
# writer adds the counter with the right count; documents stemmed after
# they were tokenized are counted; and a counter that is off makes opine
# similar --check fail.
for db in s g; do
    expect_eq "$db.db: doc_lengths_count is doc_lengths' rows" \
        "$(q "$WORK/$db.db" "SELECT count(*) FROM doc_lengths")" \
        "$(q "$WORK/$db.db" "SELECT documents FROM doc_lengths_count")"
done
cp "$WORK/g.db" "$WORK/nocount.db"
q "$WORK/nocount.db" "DROP TRIGGER doc_lengths_added;
    DROP TRIGGER doc_lengths_removed; DROP TABLE doc_lengths_count"
run_opine 0 search "$WORK/nocount.db" "$word OR ka*" --limit 0 --snippet 0
cut -f2,4,5 "$WORK/out" >"$WORK/d"
cmp -s "$WORK/a" "$WORK/d" || fail "without the counter: the answers differ"
run_opine 0 stem "$WORK/nocount.db" -q
expect_eq "the next writer adds the counter" 300 \
    "$(q "$WORK/nocount.db" "SELECT documents FROM doc_lengths_count")"
run_opine 0 ingest "$WORK/staged.db" "$WORK/gen1.jsonl" -q
run_opine 0 tokenize "$WORK/staged.db" -q
expect_eq "tokenized, not stemmed: none counted" 0 \
    "$(q "$WORK/staged.db" "SELECT documents FROM doc_lengths_count")"
run_opine 0 stem "$WORK/staged.db" -q
run_opine 0 run "$WORK/staged.db" "$WORK/gen2.jsonl" -q
expect_eq "stemmed later, then a run: all counted" 200 \
    "$(q "$WORK/staged.db" "SELECT documents FROM doc_lengths_count")"
run_opine 0 similar "$WORK/staged.db" --check
q "$WORK/staged.db" "UPDATE doc_lengths_count SET documents = documents + 1"
run_opine 2 similar "$WORK/staged.db" --check
grep -q "doc_lengths_count says 201 documents, doc_lengths holds 200" \
    "$WORK/err" "$WORK/out" || fail "a wrong counter passes the check: $(cat "$WORK/err")"
ok "doc_lengths_count follows doc_lengths (runs, stages, an older file) and is checked"

# Bad queries: a message naming the problem, exit 2, no crash.
for bad in '' '"unclosed' '(a OR' 'a )' 'AND' 'the' '"the of"' 'NOT'; do
    run_opine 2 search "$WORK/s.db" "$bad"
    grep -q "opine: the query" "$WORK/err" || fail "query '$bad': $(cat "$WORK/err")"
done
ok "bad queries are refused with a message"
# Hostile queries: random pieces of the syntax (unbalanced quotes and
# parentheses, stray operators, NEAR with odd arguments, stars, invalid
# UTF-8, long words): every one ends with 0 or 2, and 2 with a message.
NH=200
[ -n "${OPINE_VALGRIND:-}" ] && NH=10
python3 - "$NH" >"$WORK/hostile.txt" <<'EOF2'
import random, sys
rnd = random.Random(7)
bits = [b'alliance', b'korea', b'the', b'"', b'(', b')', b'AND', b'OR', b'NOT',
        b'*', b'NEAR(', b',', b' 3', b' SENTENCE', b' -1', b'NEAR', b'x' * 300,
        b'\xff', b'\xc3', 'é'.encode(), b'  ', b'sanctions*', b'"moon jae-in"',
        b',,', b')(', b'NEAR()']
for _ in range(int(sys.argv[1])):
    q = b''.join(rnd.choice(bits) + rnd.choice([b'', b' '])
                 for _ in range(rnd.randint(1, 8)))
    sys.stdout.buffer.write(q + b'\n')
EOF2
n=0
while IFS= read -r hq; do
    got=0
    "$OPINE" search "$WORK/s.db" "$hq" --limit 3 >"$WORK/out" 2>"$WORK/err" || got=$?
    case $got in
    0) ;;
    2) grep -q "^opine: " "$WORK/err" || fail "query '$hq': exit 2 without a message" ;;
    *) cat "$WORK/err" >&2; fail "query '$hq': exit $got" ;;
    esac
    n=$((n + 1))
done <"$WORK/hostile.txt"
ok "$n hostile queries: each answered or refused with a message"
run_opine 0 search "$WORK/s.db" '"the alliance"' --count
[ "$(cat "$WORK/out")" -gt 0 ] || fail "a phrase with a stop word matches nothing"
ok "a phrase with a stop word matches"

done_testing
