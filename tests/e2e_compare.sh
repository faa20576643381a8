# tests/e2e_compare.sh — opine compare (keyness) on the sample corpus:
# chi2 with and without Yates' correction and G2 equal scipy's
# chi2_contingency on 50 random (term, outlet) cells; the log-odds
# z-scores equal the formulas of Monroe, Colaresi & Quinn (2008) computed
# in plain Python from doc_terms; PMI and Log Ratio too; a target against
# a named reference, years, months, meta:KEY and --where group and count
# as SQL says; the run is recorded and a rerun replaces its rows; errors
# (an unknown --by, a target that is no group, an empty database) say so
# and exit 2.
. "$(dirname "$0")/lib.sh"
# Debian's python3 with python3-scipy (make installs both): the python3 on
# PATH may be another build without scipy.
PY=/usr/bin/python3
"$PY" -c 'import scipy.stats' 2>/dev/null ||
    fail "no scipy for $PY (make installs python3-scipy)"
SAMPLES=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz
DB=$WORK/s.db
run_opine 0 run "$DB" "$SAMPLES" -q

# Every outlet against the rest, every term it uses.
run_opine 0 compare "$DB" --by outlet --min-count 1 --top 5 --json
grep -q "^compare: 12 documents, 12 in 4 groups by outlet; 4 comparisons" "$WORK/err" ||
    fail "summary: $(cat "$WORK/err")"
run=$(q "$DB" "SELECT max(id) FROM runs WHERE stage = 'compare'")
expect_eq "the run is recorded, finished" \
    'ok|{"by":"outlet","target":null,"reference":null,"measure":"logodds","where":null,"min_count":1}' \
    "$(q "$DB" "SELECT status, params FROM runs WHERE id = $run")"
expect_eq "one row per outlet and term it uses, all pointing to the run" \
    "$(q "$DB" "SELECT count(*) FROM (SELECT DISTINCT d.outlet, dt.stem FROM doc_terms dt JOIN documents d ON d.id = dt.doc)")|$run|$run" \
    "$(q "$DB" "SELECT count(*), min(run), max(run) FROM keyness")"
expect_eq "the JSON output has the top 5 of each outlet, by z, ranks 1 to 5" \
    "20 1 5 True" \
    "$("$PY" -c '
import json, sys
rows = json.load(open(sys.argv[1]))
ok = all(a["z"] >= b["z"] for a, b in zip(rows, rows[1:]) if a["target"] == b["target"])
print(len(rows), min(r["rank"] for r in rows), max(r["rank"] for r in rows), ok)' "$WORK/out")"

# scipy on 50 random cells, and Monroe et al.'s z for every row, from
# counts Python makes itself.
"$PY" - "$DB" "$run" >"$WORK/py.out" <<'PYEOF' || fail "$(cat "$WORK/py.out")"
import math, random, sqlite3, sys
from scipy.stats import chi2_contingency
con = sqlite3.connect(sys.argv[1])
run = int(sys.argv[2])
cell, total, col, prior = {}, {}, {}, {}
for outlet, stem, tf in con.execute(
        "SELECT d.outlet, dt.stem, dt.tf FROM doc_terms dt"
        " JOIN documents d ON d.id = dt.doc"):
    cell[outlet, stem] = cell.get((outlet, stem), 0) + tf
    total[outlet] = total.get(outlet, 0) + tf
    col[stem] = col.get(stem, 0) + tf
    prior[stem] = prior.get(stem, 0) + tf
N = sum(total.values())
a0 = sum(prior.values())
rows = {(t, s): r for t, s, *r in con.execute(
    "SELECT target, stem, n_target, n_reference, total_target,"
    " total_reference, prior, prior_total, chi2, chi2_yates, g2, z, delta,"
    " pmi, log_ratio FROM keyness WHERE run = ?", (run,))}
bad = []
def near(what, want, got, tol=1e-9):
    if got is None or abs(want - got) > tol:
        bad.append(f"{what}: want {want!r}, got {got!r}")
keys = sorted(cell)
assert len(rows) == len(keys), (len(rows), len(keys))
signs, corrected = set(), 0
for outlet, stem in random.Random(13).sample(keys, 50):
    a = cell[outlet, stem]
    b = col[stem] - a
    nt, nr = total[outlet], N - total[outlet]
    r = rows[outlet, stem]
    if r[:4] != [a, b, nt, nr]:
        bad.append(f"counts of {outlet}/{stem}: want {[a, b, nt, nr]}, got {r[:4]}")
    table = [[a, b], [nt - a, nr - b]]
    sign = 1 if a * nr > b * nt else -1
    plain = chi2_contingency(table, correction=False)[0]
    yates = chi2_contingency(table, correction=True)[0]
    g2 = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    near(f"chi2 {outlet}/{stem}", sign * plain, r[6])
    near(f"chi2_yates {outlet}/{stem}", sign * yates, r[7])
    near(f"g2 {outlet}/{stem}", sign * g2, r[8])
    signs.add(sign)
    corrected += abs(plain - yates) > 1e-6
# Monroe, Colaresi & Quinn (2008), eqs. 16 and 18-19, with the prior
# alpha_w = the word's count in the whole corpus.
for (outlet, stem), r in rows.items():
    a, b, nt, nr, alpha, alpha0 = r[:6]
    near(f"prior {outlet}/{stem}", prior[stem], alpha)
    near(f"prior total", a0, alpha0)
    delta = (math.log((a + alpha) / (nt + alpha0 - a - alpha))
             - math.log((b + alpha) / (nr + alpha0 - b - alpha)))
    z = delta / math.sqrt(1 / (a + alpha) + 1 / (b + alpha))
    near(f"delta {outlet}/{stem}", delta, r[10])
    near(f"z {outlet}/{stem}", z, r[9])
    near(f"pmi {outlet}/{stem}", math.log(a / ((a + b) * nt / N)), r[11])
    lr = math.log2(((a or 0.5) / nt) / ((b or 0.5) / nr))
    near(f"log_ratio {outlet}/{stem}", lr, r[12])
if bad:
    print(len(bad), "mismatches:", *bad[:10], sep="\n")
    sys.exit(1)
print(f"cells 50 signs {len(signs)} corrected {corrected} rows {len(rows)}")
PYEOF
read -r _ cells _ nsigns _ ncorr _ nrows <"$WORK/py.out"
expect_eq "chi2, chi2 with Yates' correction and G2 = scipy's chi2_contingency on 50 random cells, to 1e-9" 50 "$cells"
expect_eq "the cells have both signs" 2 "$nsigns"
[ "$ncorr" -ge 25 ] || fail "Yates' correction changed only $ncorr of 50 cells"
ok "Yates' correction changes $ncorr of the 50 cells"
ok "delta, z (Monroe et al.), pmi and log_ratio of all $nrows rows = plain Python, to 1e-9"

# Ranks: by z, ties by the stem's text.
expect_eq "ranks follow z within each outlet" 0 "$(q "$DB" "SELECT count(*) FROM keyness a
    JOIN keyness b ON b.run = a.run AND b.target = a.target AND b.rank = a.rank + 1
    JOIN stems sa ON sa.id = a.stem JOIN stems sb ON sb.id = b.stem
    WHERE a.run = $run AND (a.z < b.z OR (a.z = b.z AND sa.stem > sb.stem))")"

# The same definition again replaces the rows; another adds its own.
run_opine 0 compare "$DB" --by outlet --min-count 1 -q
expect_eq "a rerun replaces the rows of the same comparison" \
    "$(q "$DB" "SELECT count(*) FROM keyness")|$((run + 1))" \
    "$(q "$DB" "SELECT count(*), min(run) FROM keyness")"
before=$(q "$DB" "SELECT count(*) FROM keyness")
every=$((run + 1))

# One outlet against the rest: the rows the every-outlet comparison gave
# it (the other outlets keep no pairs then, only their totals).
run_opine 0 compare "$DB" --by outlet --target "Harbor Review" --min-count 1 -q
one=$(q "$DB" "SELECT max(id) FROM runs WHERE stage = 'compare'")
cols="stem, rank, n_target, n_reference, docs_target, docs_reference, total_target, total_reference, prior, prior_total, z, chi2, g2"
n=$(q "$DB" "SELECT count(*) FROM keyness WHERE run = $every AND target = 'Harbor Review'")
[ "$n" -gt 10 ] || fail "the every-outlet comparison gave Harbor Review $n rows"
expect_eq "one target against the rest = its $n rows among every outlet's" "$n|0" \
    "$(q "$DB" "SELECT (SELECT count(*) FROM keyness WHERE run = $one),
        (SELECT count(*) FROM (SELECT $cols FROM keyness WHERE run = $one
         EXCEPT SELECT $cols FROM keyness WHERE run = $every AND target = 'Harbor Review'))")"
q "$DB" "DELETE FROM keyness WHERE run = $one" >/dev/null

# One outlet against another: every term either uses, ranked by chi2.
run_opine 0 compare "$DB" --by outlet --target "Harbor Review" \
    --reference "Pacific Ledger" --measure chi2 --min-count 1 --top 3 --csv
cp "$WORK/out" "$WORK/stored.csv"
run=$(q "$DB" "SELECT max(id) FROM runs WHERE stage = 'compare'")
# Not stored, only the printed rows are written: the same print.
run_opine 0 compare "$DB" --by outlet --target "Harbor Review" \
    --reference "Pacific Ledger" --measure chi2 --min-count 1 --top 3 --csv \
    --no-store
n=$(wc -l <"$WORK/out")
[ "$n" -eq 7 ] || fail "--top 3 against a reference printed $n lines, not 1 + 2 x 3"
cmp -s "$WORK/out" "$WORK/stored.csv" ||
    fail "--no-store prints other rows: $(diff "$WORK/stored.csv" "$WORK/out" | head -5)"
ok "--no-store, which writes only the printed rows, prints the stored comparison's"
grep -q " 6 rows in temp.keyness" "$WORK/err" ||
    fail "--no-store --top 3 wrote other than 6 rows: $(cat "$WORK/err")"
ok "--no-store --top 3 against a reference writes 6 rows"
expect_eq "another comparison adds its rows beside the first" \
    "$before|1|1|Harbor Review|Pacific Ledger|chi2" \
    "$(q "$DB" "SELECT (SELECT count(*) FROM keyness WHERE run < $run),
        count(DISTINCT target), count(DISTINCT reference), target, reference, measure
        FROM keyness WHERE run = $run")"
two="SELECT dt.stem, sum(CASE WHEN d.outlet = 'Harbor Review' THEN dt.tf ELSE 0 END) AS a,
            sum(CASE WHEN d.outlet = 'Pacific Ledger' THEN dt.tf ELSE 0 END) AS b
     FROM doc_terms dt JOIN documents d ON d.id = dt.doc
     WHERE d.outlet IN ('Harbor Review', 'Pacific Ledger') GROUP BY dt.stem"
expect_eq "target against reference: the counts of every term of either" 0 \
    "$(q "$DB" "SELECT (SELECT count(*) FROM ($two EXCEPT SELECT stem, n_target, n_reference FROM keyness WHERE run = $run))
              + (SELECT count(*) FROM (SELECT stem, n_target, n_reference FROM keyness WHERE run = $run EXCEPT $two))")"
expect_eq "the prior is still the whole corpus" \
    "$(q "$DB" "SELECT sum(cf) FROM terms")" \
    "$(q "$DB" "SELECT DISTINCT CAST(prior_total AS INTEGER) FROM keyness WHERE run = $run")"
expect_eq "CSV: a header and the top 3 and bottom 3" \
    "target,reference,rank,term,stem,n_target,n_reference,docs_target,docs_reference,z,delta,chi2,chi2_yates,g2,pmi,log_ratio|1 2 3 -1 -2 -3" \
    "$(head -n 1 "$WORK/out")|$(tail -n +2 "$WORK/out" | cut -d, -f3 | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the top terms are the target's (chi2 > 0), the bottom ones the reference's" \
    "+ + + - - -" \
    "$(tail -n +2 "$WORK/out" | awk -F, '{printf "%s%s", (NR > 1 ? " " : ""), ($12 > 0 ? "+" : "-")}')"

# Years and months of documents.published; meta:KEY; --where. With
# --no-store nothing is written.
runs=$(q "$DB" "SELECT count(*) FROM runs")
rows=$(q "$DB" "SELECT count(*) FROM keyness")
run_opine 0 compare "$DB" --by year --min-count 1 -q --no-store
expect_eq "--by year: one group per year of published" \
    "$(q "$DB" "SELECT group_concat(y, ' ') FROM (SELECT DISTINCT substr(published, 1, 4) AS y FROM documents ORDER BY 1)")" \
    "$(tail -n +2 "$WORK/out" | cut -f 1 | uniq | tr '\n' ' ' | sed 's/ $//')"
"$OPINE" compare "$DB" --by month --min-count 1 --top 1000 --no-store -q --tsv >"$WORK/month.tsv"
want=$(q -separator '	' "$DB" "SELECT substr(d.published, 1, 7), st.stem, sum(dt.tf) FROM doc_terms dt
    JOIN documents d ON d.id = dt.doc JOIN stems st ON st.id = dt.stem GROUP BY 1, 2 ORDER BY 1, 2")
expect_eq "--by month: every (month, term) count" "$want" \
    "$(tail -n +2 "$WORK/month.tsv" | cut -f 1,5,6 | LC_ALL=C sort)"
run_opine 0 compare "$DB" --by meta:topic --min-count 1 --no-store -q --tsv
expect_eq "--by meta:topic: the groups are doc_meta's values" \
    "$(q "$DB" "SELECT group_concat(value, ' ') FROM (SELECT DISTINCT value FROM doc_meta WHERE key = 'topic' ORDER BY 1)")" \
    "$(tail -n +2 "$WORK/out" | cut -f 1 | uniq | tr '\n' ' ' | sed 's/ $//')"
expect_eq "--no-store writes no run and no rows" "$runs|$rows" \
    "$(q "$DB" "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM keyness)")"
run_opine 0 compare "$DB" --by outlet --where "outlet IN ('Harbor Review', 'Pacific Ledger')" \
    --min-count 1 -q
run=$(q "$DB" "SELECT max(id) FROM runs WHERE stage = 'compare'")
expect_eq "--where: only its documents, and the prior from them alone" \
    "Harbor Review Pacific Ledger|$(q "$DB" "SELECT sum(dt.tf) FROM doc_terms dt JOIN documents d ON d.id = dt.doc
        WHERE d.outlet IN ('Harbor Review', 'Pacific Ledger')")" \
    "$(q "$DB" "SELECT group_concat(target, ' ') FROM (SELECT DISTINCT target FROM keyness WHERE run = $run ORDER BY 1)")|$(q "$DB" "SELECT DISTINCT CAST(prior_total AS INTEGER) FROM keyness WHERE run = $run")"
expect_eq "--where: two groups, the rest is the other one: chi2 as against it" \
    "$(q "$DB" "SELECT count(*) FROM keyness WHERE run = $run AND target = 'Harbor Review'")|0" \
    "$(q "$DB" "SELECT count(*), sum(abs(a.chi2 - b.chi2) > 1e-9) FROM keyness a JOIN keyness b ON b.stem = a.stem
        AND b.target = 'Harbor Review' AND b.reference = 'Pacific Ledger'
        WHERE a.run = $run AND a.target = 'Harbor Review'")"
run_opine 0 compare "$DB" --by outlet --where "opine_text(body) LIKE '%Pyongyang%'" --no-store
expect_eq "--where may use opine sql's functions: opine_text(body)" \
    "$("$OPINE" sql "$DB" "SELECT count(*) FROM documents WHERE inflate(body) LIKE '%Pyongyang%'" | tail -n 1) documents" \
    "$(sed -n 's/^compare: \([0-9]* documents\),.*/\1/p' "$WORK/err")"

# Errors: a clear message and exit 2.
run_opine 2 compare "$DB" --by party
grep -q "unknown --by 'party': outlet, author, year, month or meta:KEY" "$WORK/err" ||
    fail "unknown --by: $(cat "$WORK/err")"
ok "an unknown --by is refused, exit 2"
run_opine 2 compare "$DB" --by outlet --target "Daily Planet"
grep -q "\-\-target 'Daily Planet' is no group by outlet; the groups (with their documents) are 'Capitol Dispatch' (3)" "$WORK/err" ||
    fail "unknown target: $(cat "$WORK/err")"
ok "a target that is no group is refused and the groups are named, exit 2"
run_opine 2 compare "$DB" --by outlet --target "Harbor Review" --reference "harbor review"
grep -q "\-\-reference 'harbor review' is no group" "$WORK/err" || fail "$(cat "$WORK/err")"
ok "so is a reference that is no group (names are exact)"
run_opine 2 compare "$DB" --by meta:nosuchkey
grep -q "none of the stemmed documents has a group by meta:nosuchkey" "$WORK/err" ||
    fail "$(cat "$WORK/err")"
ok "a grouping that puts no document in a group, exit 2"
run_opine 2 compare "$DB" --by outlet --where "outlet = 'Nowhere'"
grep -q "no stemmed document matches --where" "$WORK/err" || fail "$(cat "$WORK/err")"
run_opine 2 compare "$DB" --by outlet --where "1; DROP TABLE documents"
grep -q "is not an SQL expression over the columns of documents" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_eq "a --where that is not one expression runs nothing" 12 "$(q "$DB" "SELECT count(*) FROM documents")"
run_opine 2 compare "$DB" --by outlet --measure tfidf
grep -q "unknown --measure 'tfidf'" "$WORK/err" || fail "$(cat "$WORK/err")"
run_opine 2 compare "$DB" --by outlet --min-count 0
ok "bad --where, --measure and --min-count are refused, exit 2"
: >"$WORK/empty.db"
run_opine 2 compare "$WORK/empty.db" --by outlet
grep -q "holds nothing yet" "$WORK/err" || fail "empty file: $(cat "$WORK/err")"
printf '{"id": "x", "text": ""}\n' >"$WORK/blank.jsonl"
"$OPINE" run "$WORK/none.db" "$WORK/blank.jsonl" -q 2>/dev/null || true
run_opine 2 compare "$WORK/none.db" --by outlet
grep -q "has no stemmed documents: run 'opine run" "$WORK/err" || fail "no documents: $(cat "$WORK/err")"
ok "an empty database: a message and exit 2"
expect_eq "and no run is recorded for a refused comparison" 0 \
    "$(q "$WORK/none.db" "SELECT count(*) FROM runs WHERE stage = 'compare'")"
# Two ways to the same counts: the similarity index's postings (what a
# database has since the index came) and doc_terms (an older file, or an
# index that lacks documents): every group, every row the same.
cp "$DB" "$WORK/noindex.db"
q "$WORK/noindex.db" "DROP TABLE similar_postings; DROP TABLE similar_docs;
    DROP TABLE similar_generations; DROP TABLE similar_norms"
# (--top 1000000 prints every row: --top 0 would print none)
for by in outlet year "meta:topic"; do
    run_opine 0 compare "$DB" --by "$by" --no-store --top 1000000 --min-count 1 -q
    mv "$WORK/out" "$WORK/with-index"
    run_opine 0 compare "$WORK/noindex.db" --by "$by" --no-store --top 1000000 \
        --min-count 1 -q
    cmp -s "$WORK/with-index" "$WORK/out" ||
        fail "--by $by: the index and doc_terms give other rows"
done
run_opine 0 compare "$DB" --by outlet --where "id % 2 = 0" --no-store \
    --top 1000000 --min-count 1 -q
mv "$WORK/out" "$WORK/with-index"
run_opine 0 compare "$WORK/noindex.db" --by outlet --where "id % 2 = 0" \
    --no-store --top 1000000 --min-count 1 -q
cmp -s "$WORK/with-index" "$WORK/out" ||
    fail "--where: the index and doc_terms give other rows"
ok "the index's postings and doc_terms give the same rows (outlet, year, meta, --where; $(wc -l <"$WORK/out") rows)"

# A target against a named reference reads only the two groups' term
# vectors (doc_vectors); without them (an older file) the postings, and
# without those doc_terms: the same rows all three ways.
expect_eq "every stemmed document has a term vector" \
    "$(q "$DB" "SELECT count(*) FROM doc_lengths")" \
    "$(q "$DB" "SELECT count(*) FROM doc_vectors")"
cp "$DB" "$WORK/novectors.db"
q "$WORK/novectors.db" "DELETE FROM doc_vectors WHERE doc % 3 = 1" >/dev/null
q "$WORK/noindex.db" "DELETE FROM doc_vectors" >/dev/null
ways="$(q "$DB" "SELECT 'outlet', min(outlet), max(outlet) FROM documents")
$(q "$DB" "SELECT 'year', min(substr(published, 1, 4)), max(substr(published, 1, 4)) FROM documents")
$(q "$DB" "SELECT 'meta:topic', min(value), max(value) FROM doc_meta WHERE key = 'topic'")"
# (valgrind and the sanitizers look for memory errors: one grouping runs
# the same code)
if [ -n "${OPINE_VALGRIND:-}" ] || sanitized; then
    ways=$(echo "$ways" | head -n 1)
fi
while IFS='|' read -r by target reference; do
    for db in "$DB" "$WORK/novectors.db" "$WORK/noindex.db"; do
        run_opine 0 compare "$db" --by "$by" --target "$target" \
            --reference "$reference" --no-store --top 1000000 --min-count 1 -q
        cp "$WORK/out" "$WORK/way-$(basename "$db")"
    done
    [ "$(wc -l <"$WORK/out")" -gt 20 ] || fail "--by $by: only $(wc -l <"$WORK/out") rows"
    cmp -s "$WORK/way-s.db" "$WORK/way-novectors.db" &&
        cmp -s "$WORK/way-s.db" "$WORK/way-noindex.db" ||
        fail "--by $by $target against $reference: vectors, postings and doc_terms differ"
    last="$by|$target|$reference"
done <<EOF2
$ways
EOF2
ok "term vectors, postings and doc_terms give the same rows for a target against a reference ($(echo "$ways" | cut -d'|' -f1 | tr '\n' ' ' | sed 's/ $//'))"
# Ties rank by the stems' texts, which only the rows printed need.
# (strings compared as strings, bytewise: C's strcmp)
LC_ALL=C awk -F'\t' 'NR > 2 && $10 == z && ($5 "") < stem { bad = 1 }
    { z = $10; stem = $5 "" } END { exit bad }' "$WORK/way-s.db" ||
    fail "rows of equal z are not in the order of their stems"
LC_ALL=C awk -F'\t' 'NR > 1 { print $10 }' "$WORK/way-s.db" | sort | uniq -d |
    grep -q . || fail "no ties to check in $WORK/way-s.db"
IFS='|' read -r by target reference <<EOF2
$last
EOF2
run_opine 0 compare "$DB" --by "$by" --target "$target" \
    --reference "$reference" --no-store --top 2 --min-count 1 -q
expect_eq "--top 2 prints the first and last 2 of the whole ranking" \
    "$( (sed -n '2,3p' "$WORK/way-s.db"; tail -n 2 "$WORK/way-s.db") | cut -f 4- | sort)" \
    "$(tail -n +2 "$WORK/out" | cut -f 4- | sort)"

done_testing
