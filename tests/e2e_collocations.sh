# tests/e2e_collocations.sh — opine collocations: lambda and z are
# quanteda's textstat_collocations' (the values its reference page prints
# for its own examples, and a plain Python copy of its algorithm, which
# compares every candidate with every distinct n-gram, on the sample
# corpus's token streams, decoded in Python), with G2 and PMI; forms,
# stems and padded stop words; counting in partitions (little --memory)
# gives the same rows as in one table; runs, reruns and errors.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || fail "no $PY (make installs Debian's python3)"
SAMPLES=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz

# quanteda.textstats' reference page for textstat_collocations (version
# 0.97, quanteda 4.0.1) prints these for its examples; each is its own
# corpus here. Its tokens are lowercased as opine's types are; the
# European Union example is printed with tolower = FALSE, so only the
# rows that "The"/"the" do not touch are compared.
page_case() {
    local name=$1 size=$2 min=$3 want=$4
    shift 4
    printf '%s\n' "$@" >"$WORK/$name.jsonl"
    run_opine 0 run "$WORK/$name.db" "$WORK/$name.jsonl" -q --model none
    run_opine 0 collocations "$WORK/$name.db" --size "$size" --min-count "$min" --tsv -q
    "$PY" - "$WORK/out" "$want" <<'PYEOF' || fail "$name: $(cat "$WORK/out")"
import sys
got = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    f = line.split("\t")
    got[f[0]] = (int(f[3]), float(f[4]), float(f[6]))
want = [w.split(":") for w in sys.argv[2].split(";")]
for name, count, lam, z in want:
    g = got.get(name)
    if g is None or g[0] != int(count) or abs(g[1] - float(lam)) > 1e-6 \
            or abs(g[2] - float(z)) > 1e-6:
        sys.exit(f"{name}: want {count} {lam} {z}, got {g}")
PYEOF
}
page_case abdeb 2 2 "a b:3:3.412247:1.936083;b d:2:3.218876:1.799406" \
    '{"id": "1", "text": "a b c a b d e b d a b"}'
expect_eq "quanteda's page, tokens(\"a b c a b d e b d a b\"): a b and b d, no others" 2 \
    "$(tail -n +2 "$WORK/out" | wc -l)"
page_case vector 2..3 2 "a b:7:5.652489:2.745546;b c:6:5.609472:2.721287;c d:2:4.976734:2.354187;a b c:2:0:0" \
    '{"id": "1", "text": ". . . . a b c . . a b c . . . c d e"}' \
    '{"id": "2", "text": "a b . . a b . . a b . . a b . a b"}' \
    '{"id": "3", "text": "b c d . . b c . b c . . . b c"}'
expect_eq "quanteda's page, the vectorised size = 2:3 example: its four rows" 4 \
    "$(tail -n +2 "$WORK/out" | wc -l)"
page_case eu 2 1 "european union:2:4.317488:2.027787;new european:1:2.708050:1.454456;old european:1:2.708050:1.454456;is not:1:3.931826:1.797564" \
    '{"id": "1", "text": "The new European Union is not the old European Union."}'
ok "quanteda's page, the European Union example: the rows lowercasing leaves alone"

# Every row on the sample corpus against quanteda's algorithm in Python.
DB=$WORK/s.db
run_opine 0 run "$DB" "$SAMPLES" -q
check_all() {
    local what=$1 run
    shift
    run_opine 0 collocations "$DB" -q "$@"
    run=$(q "$DB" "SELECT max(id) FROM runs WHERE stage = 'collocations'")
    PYTHONPATH="$TESTS" "$PY" - "$DB" "$run" "$@" >"$WORK/py.out" <<'PYEOF' || fail "$what: $(cat "$WORK/py.out")"
import math, sqlite3, sys
import body as stored
from collections import Counter
db, run, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
opt = lambda name, default: args[args.index(name) + 1] if name in args else default
sizes = {"2": [2], "3": [3], "2..3": [2, 3]}[opt("--size", "2")]
min_count = int(opt("--min-count", "2"))
stems, pad = "--stems" in args, "--pad-stopwords" in args
con = sqlite3.connect(db)
PAD = -1
term, text = {}, {}
for tid, sid, stop, form, stem in con.execute(
        "SELECT t.id, t.stem, t.stopword, t.type, s.stem FROM types t JOIN stems s ON s.id = t.stem"):
    key = stem if stems else form
    term[tid] = PAD if pad and stop else key

def varint(b, i):
    v = shift = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, i

def decode(b):  # doc_tokens.stream, format 2 or 3 (pipeline/tokstream.h)
    assert b[0] in (2, 3)
    n, i = varint(b, 1)
    out, end, sentence = [], 0, -1
    for _ in range(n):
        t, i = varint(b, i)
        shape = b[i]
        i += 1
        sentence += shape >> 7
        if shape & 0x40:
            gap = shape & 7
            if gap == 7:
                gap, i = varint(b, i)
            length, i = varint(b, i)
            if (shape >> 3) & 7 == 7:
                _, i = varint(b, i)
        else:
            gap, length = (shape >> 4) & 3, (shape & 15) + 1
        start = end + gap
        end = start + length
        out.append((t, start, end, sentence))
    return out

WHITE = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)}
runs = []  # token runs: no sentence boundary, only white space between
for stream, body in con.execute(
        "SELECT t.stream, d.body FROM doc_tokens t JOIN documents d ON d.id = t.doc"):
    raw = stored.raw(body)
    seg, prev = [], None
    for t, start, end, sentence in decode(stream):
        if prev and (sentence != prev[1] or
                     not set(raw[prev[0]:start].decode()) <= WHITE):
            runs.append(seg)
            seg = []
        seg.append(term[t])
        prev = (end, sentence)
    runs.append(seg)

want = {}
for K in sizes:
    grams = Counter(tuple(s[i:i + K]) for s in runs for i in range(len(s) - K + 1))
    items = list(grams.items())
    for x, count in items:
        if count < min_count or PAD in x:
            continue
        # quanteda's cpp_collocations: every distinct K-gram z adds its
        # count to the cell of the positions where it matches x.
        raw = [0.0] * (1 << K)
        for z, cz in items:
            raw[sum(1 << j for j in range(K) if z[j] == x[j])] += cz
        cells = [v + 0.5 for v in raw]
        lam = sum((-1) ** (K - bin(c).count("1")) * math.log(v) for c, v in enumerate(cells))
        sigma = math.sqrt(sum(1 / v for v in cells))
        n = sum(raw)
        p = [sum(v for c, v in enumerate(raw) if c >> j & 1) / n for j in range(K)]
        def expected(c):
            e = n
            for j in range(K):
                e *= p[j] if c >> j & 1 else 1 - p[j]
            return e
        g2 = 2 * sum(v * math.log(v / expected(c)) for c, v in enumerate(raw) if v > 0)
        e_all = expected((1 << K) - 1)
        g2 = g2 if count > e_all else -g2
        pmi = math.log(count / e_all)
        want[K, " ".join(x)] = (count, lam, sigma, lam / sigma, g2, pmi)

got = {(k, name): v for k, name, *v in con.execute(
    f"SELECT size, {'stems' if stems else 'collocation'}, count, lambda, sigma, z, g2, pmi"
    " FROM collocations WHERE run = ?", (run,))}
bad = [f"{k}: {k in want and want[k]} != {k in got and got[k]}"
       for k in sorted(set(want) | set(got), key=str)
       if k not in want or k not in got or want[k][0] != got[k][0] or any(
           abs(a - b) > 1e-9 * max(1, abs(a)) for a, b in zip(want[k][1:], got[k][1:]))]
if bad:
    print(len(bad), "of", len(want), "differ:", *bad[:8], sep="\n")
    sys.exit(1)
print(len(want), " ".join(str(sum(1 for k in want if k[0] == K)) for K in sizes))
PYEOF
    ok "$what: every row = quanteda's algorithm in Python ($(cat "$WORK/py.out") rows), to 1e-9"
}
check_all "forms, sizes 2 and 3" --size 2..3
read -r n n2 n3 <"$WORK/py.out"
[ "$n2" -ge 100 ] && [ "$n3" -ge 20 ] || fail "too few rows to mean much: $n2 bigrams, $n3 trigrams"
expect_eq "the sample's 2-word expressions include 'united states'" 1 \
    "$(q "$DB" "SELECT count(*) FROM collocations WHERE collocation = 'united states' AND size = 2")"
check_all "stems" --size 2 --stems
expect_eq "--stems: expressions of stems, shown by their commonest forms" "unit state|united states" \
    "$(q "$DB" "SELECT stems, collocation FROM collocations WHERE stems = 'unit state'
        AND run = (SELECT max(id) FROM runs)")"
check_all "stop words padded, every count" --size 2..3 --pad-stopwords --min-count 1
expect_eq "--pad-stopwords: no expression holds a stop word" 0 \
    "$(q "$DB" "SELECT count(*) FROM collocations c JOIN runs r ON r.id = c.run
        WHERE r.params LIKE '%\"pad_stopwords\":1%' AND (' ' || c.collocation || ' ') GLOB '* the *'")"

# A bigger corpus counted in many partitions (1 MiB: 65,536 slots) gives
# exactly the rows one table gives.
bash "$OPINE_SRC/tests/gen_corpus.sh" 1500 7 >"$WORK/gen.jsonl"
run_opine 0 run "$WORK/gen.db" "$WORK/gen.jsonl" -q --model none
run_opine 0 collocations "$WORK/gen.db" --size 2..3 --min-count 2 --top 0
grep -q " in 3 passes" "$WORK/err" || fail "one table: $(cat "$WORK/err")"
# (The same parameters replace these rows: keep a copy.)
cols="size, collocation, stems, count, lambda, sigma, z, g2, pmi"
q "$WORK/gen.db" "CREATE TABLE one AS SELECT $cols FROM collocations"
run_opine 0 collocations "$WORK/gen.db" --size 2..3 --min-count 2 --memory 1 --top 0
many=$(q "$WORK/gen.db" "SELECT max(id) FROM runs")
passes=$(sed -n 's/.* in \([0-9]*\) passes.*/\1/p' "$WORK/err")
[ "$passes" -ge 6 ] || fail "--memory 1 should take several partitions: $(cat "$WORK/err")"
expect_eq "--memory 1 ($passes passes) and one table: the same rows, bit for bit" \
    "$(q "$WORK/gen.db" "SELECT count(*) FROM one")|0|0" \
    "$(q "$WORK/gen.db" "SELECT (SELECT count(*) FROM collocations WHERE run = $many),
        (SELECT count(*) FROM (SELECT * FROM one
                               EXCEPT SELECT $cols FROM collocations WHERE run = $many)),
        (SELECT count(*) FROM (SELECT $cols FROM collocations WHERE run = $many
                               EXCEPT SELECT * FROM one))")"
[ "$(q "$WORK/gen.db" "SELECT count(*) FROM one")" -ge 10000 ] || fail "too few rows to partition"

# Runs: recorded; the same parameters again replace their rows.
rows=$(q "$DB" "SELECT count(*) FROM collocations")
run_opine 0 collocations "$DB" --size 2..3 -q --table --top 5
expect_eq "a rerun replaces the rows of the same parameters" \
    "$rows|ok|{\"size\":\"2..3\",\"min_count\":2,\"smoothing\":0.5,\"terms\":\"forms\",\"pad_stopwords\":0,\"where\":null}" \
    "$(q "$DB" "SELECT (SELECT count(*) FROM collocations), status, params FROM runs ORDER BY id DESC LIMIT 1")"
expect_eq "--table prints the 5 with the highest z" 7 "$(wc -l <"$WORK/out")"
runs=$(q "$DB" "SELECT count(*) FROM runs")
run_opine 0 collocations "$DB" --no-store --where "outlet = 'Harbor Review'"
expect_eq "--no-store writes nothing" "$runs|$rows|21" \
    "$(q "$DB" "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM collocations)")|$(wc -l <"$WORK/out")"
expect_eq "--where takes its documents only" \
    "$(q "$DB" "SELECT count(*) || ' documents, ' || sum(t.tokens) || ' tokens' FROM doc_tokens t
        JOIN documents d ON d.id = t.doc WHERE d.outlet = 'Harbor Review'")" \
    "$(sed -n 's/^collocations: \([0-9]* documents, [0-9]* tokens\),.*/\1/p' "$WORK/err")"

# Errors.
run_opine 2 collocations "$DB" --size 4
grep -q "\-\-size wants 2, 3 or 2..3, not '4'" "$WORK/err" || fail "$(cat "$WORK/err")"
run_opine 2 collocations "$DB" --min-count 0
run_opine 2 collocations "$DB" --where "no_such_column = 1"
grep -q "is not an SQL expression over the columns of documents: no such column" "$WORK/err" ||
    fail "$(cat "$WORK/err")"
ok "a bad --size, --min-count or --where: a message and exit 2"
: >"$WORK/empty.db"
run_opine 2 collocations "$WORK/empty.db"
printf '{"id": "x", "text": ""}\n' >"$WORK/blank.jsonl"
"$OPINE" run "$WORK/none.db" "$WORK/blank.jsonl" -q 2>/dev/null || true
run_opine 2 collocations "$WORK/none.db"
grep -q "has no stemmed documents" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "an empty database: a message and exit 2"
done_testing
