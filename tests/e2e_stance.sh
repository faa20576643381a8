# tests/e2e_stance.sh — opine stance pools documents' stances per group
# with random-effects (DerSimonian-Laird) intervals; checked against a plain
# Python computation of the same formulas from the stored doc_scores, for
# every grouping, with differences, distances and the errors.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# Op-eds we write: three outlets, two years, a metadata field; sentences
# for and against alliances, and reports, in varying mixes.
awk 'BEGIN {
    split("Our alliance with South Korea keeps the peace and we must stand by our allies.|Joint exercises with our allies deter aggression, and the alliance deserves our support.|Extended deterrence and the mutual defense treaty make the alliance stronger.", pro, "|")
    split("The alliance is obsolete: allies are free riders who must pay or we should bring the troops home.|Allies take advantage of us; pulling our troops out of Korea would save money.", con, "|")
    split("The allies met on Tuesday to discuss the alliance, officials said.|Delegations of the allied nations gathered in Seoul for talks.", rep, "|")
    split("Daily Planet|Gotham Gazette|Central City Courier", outlet, "|")
    for (i = 1; i <= 36; i++) {
        o = outlet[1 + i % 3]
        t = ""
        for (k = 0; k < 1 + i % 3; k++) {
            if (o == "Daily Planet") t = t pro[1 + (i + k) % 3] " "
            else if (o == "Gotham Gazette") t = t ((i + k) % 4 ? con[1 + (i + k) % 2] : pro[1 + k % 3]) " "
            else t = t rep[1 + (i + k) % 2] " " ((i + k) % 5 ? "" : pro[1]) " "
        }
        printf "{\"id\": \"d%02d\", \"outlet\": \"%s\", \"date\": \"%d-%02d-01\", \"lean\": \"%s\", \"text\": \"Column %d. %s\"}\n", i, o, 2018 + i % 2, 1 + i % 12, i % 2 ? "left" : "right", i, t
    }
}' >"$WORK/ops.jsonl"
# A lexicon of our own, so that the sides are the texts' by construction.
cat >"$WORK/m.yaml" <<'YAML'
name: alliance-test
version: 1
themes:
  alliance:
    label: Alliances
    poles: {positive: for, negative: against}
    targets: [alliance, allies, allied]
    positive: [peace, deter, stronger, support, "stand by"]
    negative: [obsolete, "free riders", "bring the troops home", "take advantage", "pulling our troops out"]
  other:
    label: Other
    poles: {positive: for, negative: against}
    targets: [tea]
    positive: [delicious]
YAML
run_opine 0 run "$WORK/s.db" "$WORK/ops.jsonl" -q --meta lean=lean --model "$WORK/m.yaml"
nscored=$(q "$WORK/s.db" "SELECT count(*) FROM v_stance WHERE theme = 'alliance' AND stance IS NOT NULL")
[ "$nscored" -ge 30 ] || fail "only $nscored documents scored on alliance"

# The formulas, independently: DerSimonian-Laird per group.
cat >"$WORK/dl.py" <<'PYEOF'
import math, sqlite3, sys
from statistics import NormalDist
db, by, theme = sys.argv[1], sys.argv[2], sys.argv[3]
c = sqlite3.connect(db)
mass = c.execute("SELECT interval FROM models ORDER BY id DESC LIMIT 1").fetchone()[0]
z = NormalDist().inv_cdf(0.5 + mass / 2)
group = {"outlet": "d.outlet", "year": "substr(d.published, 1, 4)",
         "month": "substr(d.published, 1, 7)",
         "meta:lean": "(SELECT value FROM doc_meta m WHERE m.doc = d.id AND m.key = 'lean')"}[by]
rows = c.execute(f"""SELECT {group}, s.stance, s.lo, s.hi FROM doc_scores s
    JOIN documents d ON d.id = s.doc JOIN themes t ON t.id = s.theme
    WHERE t.theme = ? AND t.model = (SELECT max(id) FROM models)
    AND s.stance IS NOT NULL""", (theme,)).fetchall()
groups = {}
for g, y, lo, hi in rows:
    groups.setdefault(g, []).append((y, max(((hi - lo) / (2 * z)) ** 2, 1e-12)))
for g in sorted(groups):
    d = groups[g]
    w = [1 / v for _, v in d]
    sw = sum(w)
    ybar = sum(wi * y for wi, (y, _) in zip(w, d)) / sw
    q = sum(wi * (y - ybar) ** 2 for wi, (y, _) in zip(w, d))
    k = len(d)
    tau2 = 0 if k < 2 else max(0, (q - (k - 1)) / (sw - sum(x * x for x in w) / sw))
    ws = [1 / (v + tau2) for _, v in d]
    mu = sum(wi * y for wi, (y, _) in zip(ws, d)) / sum(ws)
    se = 1 / math.sqrt(sum(ws))
    print(f"{g}\t{k}\t{mu:.12f}\t{max(-1, mu - z * se):.12f}\t{min(1, mu + z * se):.12f}\t{se:.12f}\t{math.sqrt(tau2):.12f}")
PYEOF
for by in outlet year month meta:lean; do
    run_opine 0 stance "$WORK/s.db" --by "$by" --theme alliance
    want=$("$PY" "$WORK/dl.py" "$WORK/s.db" "$by" alliance)
    run=$(q "$WORK/s.db" "SELECT max(run) FROM group_stance")
    got=$(q -separator "$(printf '\t')" "$WORK/s.db" "SELECT grp, documents, printf('%.12f', stance),
        printf('%.12f', lo), printf('%.12f', hi), printf('%.12f', se), printf('%.12f', tau)
        FROM group_stance WHERE run = $run ORDER BY grp")
    expect_eq "--by $by: pooled stance, interval, se and tau = DerSimonian-Laird in Python ($(echo "$want" | wc -l) groups)" \
        "$want" "$got"
done
first=$(q "$WORK/s.db" "SELECT min(run) FROM group_stance WHERE by_key = 'outlet'")
expect_eq "the outlets take the sides they were written with" "Daily Planet|Gotham Gazette" \
    "$(q "$WORK/s.db" "SELECT (SELECT grp FROM group_stance WHERE run = $first ORDER BY stance DESC LIMIT 1),
       (SELECT grp FROM group_stance WHERE run = $first ORDER BY stance LIMIT 1)")"

# The difference of two groups.
run_opine 0 stance "$WORK/s.db" --by outlet --theme alliance --target "Daily Planet" --reference "Gotham Gazette" --tsv
run=$(q "$WORK/s.db" "SELECT max(run) FROM group_stance_diff")
expect_eq "difference = stance(A) - stance(B), se = sqrt(se_A^2 + se_B^2), interval +- z se" 0 \
    "$(q "$WORK/s.db" "SELECT count(*) FROM group_stance_diff x, group_stance a, group_stance b, models m
        WHERE x.run = $run AND a.run = $run AND b.run = $run AND a.grp = x.target AND b.grp = x.reference
        AND m.id = (SELECT max(id) FROM models)
        AND (abs(x.difference - (a.stance - b.stance)) > 1e-12
          OR abs(x.se - sqrt(a.se * a.se + b.se * b.se)) > 1e-12
          OR abs((x.hi - x.lo) / 2 / x.se - 1.6448536269514722) > 1e-9)")"
grep -q "^Daily Planet	Gotham Gazette	" "$WORK/out" || fail "no difference row printed: $(cat "$WORK/out")"
ok "the difference is printed"
expect_eq "some group's documents differ more than their intervals say (tau > 0)" 1 \
    "$(q "$WORK/s.db" "SELECT count(*) > 0 FROM group_stance WHERE tau > 0")"
expect_eq "the difference's interval excludes 0 for outlets written on opposite sides" 1 \
    "$(q "$WORK/s.db" "SELECT lo > 0 FROM group_stance_diff WHERE run = $run")"

# Distance to a document.
run_opine 0 stance "$WORK/s.db" --by outlet --theme alliance --near d03 --tsv
run=$(q "$WORK/s.db" "SELECT max(run) FROM group_stance")
expect_eq "--near: distance = |group stance - the document's stance|, closest first" 0 \
    "$(q "$WORK/s.db" "SELECT count(*) FROM group_stance g WHERE run = $run AND abs(distance - abs(stance -
        (SELECT s.stance FROM doc_scores s JOIN documents d ON d.id = s.doc JOIN themes t ON t.id = s.theme
         WHERE d.ext_id = 'd03' AND t.theme = 'alliance' AND t.model = (SELECT max(id) FROM models)))) > 1e-12")"
expect_eq "the closest group is first" \
    "$(q "$WORK/s.db" "SELECT grp FROM group_stance WHERE run = $run ORDER BY distance LIMIT 1")" \
    "$(sed -n 2p "$WORK/out" | cut -f1)"
expect_eq "each stance run is recorded" 6 \
    "$(q "$WORK/s.db" "SELECT count(*) FROM runs WHERE stage = 'stance' AND status = 'ok'")"

# Mistakes are named.
run_opine 2 stance "$WORK/s.db" --by colour --theme alliance
grep -q "outlet, author, year, month or meta:KEY, not 'colour'" "$WORK/err" || fail "bad --by: $(cat "$WORK/err")"
run_opine 2 stance "$WORK/s.db" --by outlet --theme tea
grep -q "model alliance-test@1 has no theme 'tea' (alliance, other)" "$WORK/err" || fail "bad theme: $(cat "$WORK/err")"
run_opine 2 stance "$WORK/s.db" --by outlet --theme alliance --target "Daily Planet"
grep -q "go together" "$WORK/err" || fail "target alone: $(cat "$WORK/err")"
run_opine 2 stance "$WORK/s.db" --by outlet --theme alliance --near nosuchdoc
grep -q "no scored document 'nosuchdoc'" "$WORK/err" || fail "bad near: $(cat "$WORK/err")"
run_opine 2 stance "$WORK/s.db" --by outlet --theme alliance --model alliance-test@9
grep -q "no model 'alliance-test@9'" "$WORK/err" || fail "bad model: $(cat "$WORK/err")"
run_opine 0 ingest "$WORK/empty.db" "$WORK/ops.jsonl" -q
run_opine 2 stance "$WORK/empty.db" --by outlet --theme alliance
grep -q "nothing is scored yet" "$WORK/err" || fail "unscored: $(cat "$WORK/err")"
ok "unknown groupings, themes, documents, models and unscored databases are named"
done_testing
