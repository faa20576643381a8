#!/usr/bin/env bash
# bench/neardup.sh [OPINE] — near-duplicates on the ABP corpus
# (../shared/corpora/abp): how many pairs opine finds at Jaccard >= 0.8,
# its precision and recall against the exact Jaccard similarity of all
# pairs of a 3,000-document sample, and what finding them costs a run.
#
#   1. cost: `opine run` on ABP into a fresh database, alternately with
#      near-duplicates (the default) and with --near-dup-threshold none,
#      RUNS times each (default 3); medians of wall time and peak RSS, and
#      the ratio. Single runs on a shared machine wander by 10% and more:
#      read the ratio with the spread of the runs printed below it.
#   2. the pairs at >= 0.8 on all of ABP, by outlet (same outlet or not).
#   3. the sample: every document of an ABP pair at >= 0.5 (so that real
#      near-duplicates are in it), 300 edited copies of other ABP articles
#      (another headline, maybe a paragraph dropped, 0-6% of the words
#      swapped for others of the same article: similarities from about
#      0.4 to 1), and random ABP articles up to 3,000. opine runs on it,
#      then build/neardup_exact compares every pair exactly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OPINE=${1:-$here/../build/opine}
EXACT=${EXACT:-$(dirname "$OPINE")/neardup_exact}
INPUT=${ABP:-$here/../../shared/corpora/abp/articles.jsonl.gz}
RUNS=${RUNS:-3}
[ -x "$OPINE" ] || { echo "no opine binary at $OPINE (run make)" >&2; exit 2; }
[ -x "$EXACT" ] || { echo "no neardup_exact at $EXACT (run make)" >&2; exit 2; }
[ -f "$INPUT" ] || { echo "no corpus at $INPUT (../shared absent)" >&2; exit 2; }
TIME=/usr/bin/time
work=$(mktemp -d "${TMPDIR:-/tmp}/opine-neardup.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== 1. cost: opine run on ABP, with and without near-duplicates"
for i in $(seq "$RUNS"); do
    for mode in with without; do
        db="$work/$mode-$i.db"
        opt=()
        [ $mode = without ] && opt=(--near-dup-threshold none)
        $TIME -f '%e %M %U %S' -o "$work/$mode-$i.time" \
            "$OPINE" run "$db" "$INPUT" -q "${opt[@]}"
        [ $i = 1 ] && [ $mode = with ] && cp "$db" "$work/abp.db"
        rm -f "$db" "$db"-*
    done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for mode in with without; do
    wall=$(awk '{ print $1 }' "$work"/$mode-*.time | median)
    cpu=$(awk '{ print $3 + $4 }' "$work"/$mode-*.time | median)
    rss=$(awk '{ print $2 }' "$work"/$mode-*.time | median)
    echo "$mode $wall $cpu $rss" >>"$work/cost"
    printf "%-8s wall %6.2f s  cpu %6.2f s  peak RSS %4d MB  (medians; wall of each run:%s)\n" \
        $mode "$wall" "$cpu" "$((rss / 1024))" "$(awk '{ printf " %s", $1 }' "$work"/$mode-*.time)"
done
awk '$1 == "with" { w = $2; wc = $3 } $1 == "without" { o = $2; oc = $3 }
     END { printf "near-duplicates cost %.1f%% of the wall time, %.1f%% of the CPU time\n",
                  100 * (w - o) / o, 100 * (wc - oc) / oc }' "$work/cost"
# The pass alone: the stem stage on the finished database, comparing
# everything again (another threshold, then back), against the same stage
# with nothing to compare.
cp "$work/abp.db" "$work/again.db"
"$OPINE" stem "$work/again.db" -q --near-dup-threshold 0.81
"$OPINE" stem "$work/again.db" -q --near-dup-threshold 0.8
"$OPINE" stem "$work/again.db" -q
sqlite3 -batch -noheader -separator ' ' "$work/again.db" "
    SELECT 'stem stage comparing all of ABP again:', printf('%.2f s', json_extract(timings, '\$.total'))
      FROM runs WHERE id = (SELECT max(id) - 1 FROM runs);
    SELECT 'stem stage with nothing to compare:   ', printf('%.2f s', json_extract(timings, '\$.total'))
      FROM runs WHERE id = (SELECT max(id) FROM runs);"
echo
echo "== 2. pairs at Jaccard >= 0.8 on ABP"
sqlite3 -batch -noheader -separator ' ' "$work/abp.db" "
    SELECT 'documents', count(*) FROM documents;
    SELECT 'pairs', count(*), '(' || sum(outlet_a = outlet_b) || ' within an outlet, '
           || sum(outlet_a <> outlet_b) || ' across outlets)' FROM v_near_duplicates;
    SELECT 'documents that are the later of a pair', count(*) FROM v_near_dup_later;"
sqlite3 -batch -header -column "$work/abp.db" "
    SELECT printf('%.3f', jaccard) AS jaccard, printf('%.3f', estimate) AS estimate,
           outlet_a, outlet_b, substr(title_a, 1, 40) AS title_a, substr(title_b, 1, 40) AS title_b
    FROM v_near_duplicates ORDER BY jaccard DESC"

echo
echo "== 3. precision and recall on a 3,000-document sample"
cp "$work/abp.db" "$work/half.db"
"$OPINE" stem "$work/half.db" -q --near-dup-threshold 0.5
sqlite3 -batch -noheader "$work/half.db" \
    "SELECT ext_a FROM v_near_duplicates UNION SELECT ext_b FROM v_near_duplicates" >"$work/related.txt"
python3 - "$work/related.txt" "$INPUT" >"$work/sample.jsonl" <<'PY'
import gzip, json, random, sys
random.seed(14)
related = set(open(sys.argv[1]).read().split())
docs = [json.loads(line) for line in gzip.open(sys.argv[2], "rt")]
sample = [d for d in docs if d["id"] in related]
rest = [d for d in docs if d["id"] not in related and len(d["text"].split()) > 50]
random.shuffle(rest)
edited = rest[:300]
fill = rest[300:300 + 3000 - 600 - len(sample)]
out = sample + fill + edited
for d in edited:
    c = dict(d)
    c["id"] = d["id"] + "-edit"
    c["title"] = "Another headline: " + d["title"]
    paras = [p for p in d["text"].split("\n\n") if p.strip()]
    if len(paras) >= 3 and random.random() < 0.5:
        del paras[random.randrange(len(paras))]
    text = "\n\n".join(paras)
    words = text.split(" ")
    share = random.uniform(0, 0.06)
    for _ in range(int(len(words) * share)):
        words[random.randrange(len(words))] = random.choice(words)
    c["text"] = " ".join(words)
    out.append(c)
random.shuffle(out)
for d in out:
    print(json.dumps(d))
sys.stderr.write("sample: %d documents: %d from ABP pairs at >= 0.5, %d random,"
                 " 300 edited copies of other random ones\n"
                 % (len(out), len(sample), len(fill) + len(edited)))
PY
"$OPINE" run "$work/sample.db" "$work/sample.jsonl" -q --model none
"$EXACT" "$work/sample.db" 0.8
