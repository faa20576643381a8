# tests/e2e_score.sh — opine score and opine run with the shipped models on
# the sample corpus: the default is the trained v6; the lexicon v1 gives
# one row per document and theme, stances recomputable from the evidence
# rows alone, model versions, dictionaries.
. "$(dirname "$0")/lib.sh"
SAMPLES=$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz

# The default: the trained model, version 6, scoring every document.
run_opine 0 run "$WORK/default.db" "$SAMPLES" -q
expect_eq "the default model is the trained us-rok-alliance v6" \
    "us-rok-alliance|6|1" \
    "$(q "$WORK/default.db" "SELECT name, version, text LIKE '%kind: linear%' FROM models")"
expect_eq "v6: one doc_scores row per document and theme, stances in [-1, 1]" \
    "84|0" "$(q "$WORK/default.db" "SELECT count(*), count(*) FILTER (WHERE
        stance IS NOT NULL AND NOT (lo <= stance AND stance <= hi
        AND lo >= -1 AND hi <= 1)) FROM doc_scores")"
expect_eq "v6: evidence rows are lexicon cues, never classifier features" 0 \
    "$(q "$WORK/default.db" "SELECT count(*) FROM evidence
        WHERE cue GLOB '[wbns]:*' OR cue GLOB 'cue:*'")"
expect_eq "v6: contributions are classifier features (w:, b:, n:, s:)" 0 \
    "$(q "$WORK/default.db" "SELECT count(*) FROM contributions
        WHERE feature NOT GLOB '[wbns]:*'")"
n=$(q "$WORK/default.db" "SELECT (SELECT count(*) FROM evidence) > 0
    AND (SELECT count(*) FROM contributions) > 0")
expect_eq "v6: the samples have both evidence and contributions" 1 "$n"
# v6 is v5's classifier with evidence from the cues its labels confirm
# only: the same scores, and evidence rows that are some of v5's.
run_opine 0 score "$WORK/default.db" --model us-rok-alliance@5 -q
by="SELECT s.doc, t.theme, round(s.stance, 12), round(s.lo, 12)
    FROM doc_scores s JOIN themes t ON t.id = s.theme
    JOIN models m ON m.id = t.model WHERE m.version = %s ORDER BY 1, 2"
expect_eq "v6 scores every document as v5 does" \
    "$(q "$WORK/default.db" "$(printf "$by" 5)")" \
    "$(q "$WORK/default.db" "$(printf "$by" 6)")"
ev="SELECT doc, theme, span_start, cue, polarity FROM v_evidence
    WHERE version = %s"
only6=$(q "$WORK/default.db" "$(printf "$ev" 6) EXCEPT $(printf "$ev" 5)")
expect_eq "v6's evidence rows are all v5's" "" "$only6"
expect_eq "and some of v5's rows are quiet in v6" 1 \
    "$(q "$WORK/default.db" "SELECT count(*) > 0 FROM ($(printf "$ev" 5)
        EXCEPT $(printf "$ev" 6))")"

run_opine 0 run "$WORK/run.db" "$SAMPLES" -q --model us-rok-alliance@1
themes=$(q "$WORK/run.db" "SELECT count(*) FROM themes")
expect_eq "the shipped model has the seven themes" \
    "alliance china denuclearization global_cooperation nationalism north_korea rules_order" \
    "$(q "$WORK/run.db" "SELECT group_concat(theme, ' ') FROM (SELECT theme FROM themes ORDER BY theme)")"
expect_eq "one doc_scores row per document and theme" $((12 * themes)) \
    "$(q "$WORK/run.db" "SELECT count(*) FROM doc_scores")"
expect_eq "the model's file text and hash are stored" "us-rok-alliance|1|32|1" \
    "$(q "$WORK/run.db" "SELECT name, version, length(hash), text LIKE '%north_korea:%' FROM models")"
expect_eq "every document is marked scored" 12 \
    "$(q "$WORK/run.db" "SELECT count(*) FROM stage_done WHERE stage = 'score:1'")"
n=$(q "$WORK/run.db" "SELECT count(*) FROM evidence")
[ "$n" -ge 12 ] || fail "only $n evidence rows on 12 op-eds about these themes"
ok "$n evidence rows"

# Every stance, recomputed from evidence rows and the model's prior alone.
recompute="SELECT count(*) FROM doc_scores s
    JOIN themes t ON t.id = s.theme JOIN models m ON m.id = t.model
    LEFT JOIN (SELECT doc, theme,
                      sum(CASE WHEN polarity > 0 THEN weight ELSE 0 END) AS p,
                      sum(CASE WHEN polarity < 0 THEN weight ELSE 0 END) AS n
               FROM evidence GROUP BY doc, theme) e
      ON e.doc = s.doc AND e.theme = s.theme
    WHERE s.stance IS NOT NULL AND abs(s.stance -
        (coalesce(e.p, 0) - coalesce(e.n, 0))
        / (coalesce(e.p, 0) + coalesce(e.n, 0) + 2 * m.prior)) > 1e-9"
expect_eq "stance = (P - N) / (P + N + 2a) from evidence rows, to 1e-9" 0 \
    "$(q "$WORK/run.db" "$recompute")"
expect_eq "stances recomputed are not all trivially zero" 1 \
    "$(q "$WORK/run.db" "SELECT count(*) > 5 FROM doc_scores WHERE stance != 0")"
expect_eq "evidence counts match" 0 \
    "$(q "$WORK/run.db" "SELECT count(*) FROM doc_scores s WHERE evidence != (SELECT count(*) FROM evidence e WHERE e.doc = s.doc AND e.theme = s.theme)")"
expect_eq "no mention: salience 0 and stance NULL" 0 \
    "$(q "$WORK/run.db" "SELECT count(*) FROM doc_scores WHERE mentions = 0 AND (salience != 0 OR stance IS NOT NULL OR evidence != 0)")"
expect_eq "a mention: a stance inside its interval" 0 \
    "$(q "$WORK/run.db" "SELECT count(*) FROM doc_scores WHERE mentions > 0 AND NOT (lo <= stance AND stance <= hi AND lo >= -1 AND hi <= 1)")"
# Spans are byte offsets: cut the stored text as bytes. A cue and the text
# it matched share their first letters (stems are prefixes, near enough).
spans="SELECT count(*) FROM (SELECT lower(CAST(substr(CAST(inflate(d.body) AS BLOB),
           e.span_start + 1, e.span_end - e.span_start) AS TEXT)) AS seen,
           lower(e.cue) AS cue FROM evidence e JOIN documents d ON d.id = e.doc)
       WHERE substr(seen, 1, min(4, length(cue))) != substr(cue, 1, min(4, length(cue)))"
expect_eq "evidence spans point at their cue's words" 0 \
    "$("$OPINE" sql "$WORK/run.db" "$spans" | tail -n 1)"
expect_eq "views answer" 1 \
    "$(q "$WORK/run.db" "SELECT count(*) > 0 FROM v_stance_monthly WHERE stance IS NOT NULL")"

# Stage by stage gives the same scores.
run_opine 0 ingest "$WORK/staged.db" "$SAMPLES" -q
run_opine 0 tokenize "$WORK/staged.db" -q
run_opine 0 stem "$WORK/staged.db" -q
run_opine 0 score "$WORK/staged.db" -q --model us-rok-alliance@1
scores="SELECT d.ext_id, t.theme, s.mentions, s.evidence, round(s.stance, 12), round(s.lo, 12) FROM doc_scores s JOIN documents d ON d.id = s.doc JOIN themes t ON t.id = s.theme"
expect_eq "staged scores = run scores" 0 "$(q "$WORK/run.db" "ATTACH '$WORK/staged.db' AS o;
    SELECT count(*) FROM ($scores EXCEPT $(echo "$scores" | sed 's/FROM doc_scores/FROM o.doc_scores/; s/JOIN documents/JOIN o.documents/; s/JOIN themes/JOIN o.themes/'))")"
expect_eq "staged evidence = run evidence" 0 "$(q "$WORK/run.db" "ATTACH '$WORK/staged.db' AS o;
    SELECT count(*) FROM (SELECT doc, sentence, span_start, cue, polarity FROM evidence
    EXCEPT SELECT doc, sentence, span_start, cue, polarity FROM o.evidence)")"
run_opine 0 score "$WORK/staged.db" --model us-rok-alliance@1
grep -q "score: 0 documents" "$WORK/err" || fail "a second score run should find nothing to do: $(cat "$WORK/err")"
ok "scoring again with the same model does nothing"

# A new version rescoring keeps the old rows; a changed file with the same
# version is refused.
sed 's/^version: 1$/version: 2/; s/^name: us-rok-alliance$/name: lexicon-copy/' \
    "$OPINE_SRC/models/us-rok-alliance.yaml" >"$WORK/v2.yaml"
grep -q '^version: 2$' "$WORK/v2.yaml" || fail "could not make version 2"
run_opine 0 score "$WORK/staged.db" --model "$WORK/v2.yaml" -q
expect_eq "version 2 scored everything beside version 1" "1|$((12 * themes))
2|$((12 * themes))" "$(q "$WORK/staged.db" "SELECT m.version, count(*) FROM doc_scores s JOIN themes t ON t.id = s.theme JOIN models m ON m.id = t.model GROUP BY m.version")"
printf '# changed\n' >>"$WORK/v2.yaml"
run_opine 2 score "$WORK/staged.db" --model "$WORK/v2.yaml"
grep -q "already stored with other contents" "$WORK/err" || fail "no message for a changed model: $(cat "$WORK/err")"
ok "a changed model with an old version is refused"
printf 'themes: [oops\n' >"$WORK/bad.yaml"
run_opine 2 score "$WORK/staged.db" --model "$WORK/bad.yaml"
grep -q "bad.yaml:[0-9]*:[0-9]*:" "$WORK/err" || fail "a model error names file, line and column: $(cat "$WORK/err")"
ok "model errors name file, line and column"

# Dictionaries: a LIWC .dic and a quanteda YAML give salience-only themes.
printf '%%\n1\tsecurity\n2\teconomy\n%%\nalliance\t1\ntroops\t1\ntrade\t2\nsupply chain*\t2\n' >"$WORK/mini.dic"
run_opine 0 score "$WORK/staged.db" --model "$WORK/mini.dic" -q
expect_eq "LIWC categories become salience-only themes" "economy|12|0
security|12|0" "$(q "$WORK/staged.db" "SELECT t.theme, count(*), count(s.stance) FROM doc_scores s JOIN themes t ON t.id = s.theme JOIN models m ON m.id = t.model WHERE m.name = 'mini' GROUP BY t.theme")"
expect_eq "dictionary terms are counted" 1 \
    "$(q "$WORK/staged.db" "SELECT sum(mentions) > 5 FROM doc_scores s JOIN themes t ON t.id = s.theme WHERE t.theme = 'security'")"
printf 'security:\n  military: [troops, drills]\n  nuclear: [nuclear*]\neconomy: [trade]\n' >"$WORK/quanteda.yml"
run_opine 0 score "$WORK/staged.db" --model "$WORK/quanteda.yml" -q
expect_eq "quanteda nested categories become themes" "economy security.military security.nuclear" \
    "$(q "$WORK/staged.db" "SELECT group_concat(theme, ' ') FROM (SELECT t.theme FROM themes t JOIN models m ON m.id = t.model WHERE m.name = 'quanteda' ORDER BY 1)")"

# The founding op-ed (../shared), read as a plain text document.
SEED=$OPINE_SHARED/seed/us-rok-alliance-oped.txt
if [ -f "$SEED" ]; then
    # v1, the lexicon: the side of every theme, each with its cues.
    run_opine 0 run "$WORK/seed.db" "$SEED" -q --model us-rok-alliance@1
    for th in alliance north_korea rules_order global_cooperation nationalism; do
        expect_eq "seed op-ed, v1: $th > 0 with at least 2 evidence rows" 1 \
            "$(q "$WORK/seed.db" "SELECT stance > 0 AND evidence >= 2 FROM v_stance WHERE theme = '$th'")"
    done
    expect_eq "seed op-ed, v1: china < 0 with at least 2 evidence rows" 1 \
        "$(q "$WORK/seed.db" "SELECT stance < 0 AND evidence >= 2 FROM v_stance WHERE theme = 'china'")"
    q "$WORK/seed.db" "SELECT theme, round(stance, 3), evidence FROM v_stance ORDER BY theme" | sed 's/^/# seed v1: /'
    # v4, the default: the side of every theme (the op-ed scores + on all
    # but china); evidence only where a window is sure of its side, and
    # then pointing the theme's way.
    run_opine 0 run "$WORK/seed2.db" "$SEED" -q
    for th in alliance north_korea denuclearization rules_order global_cooperation nationalism; do
        expect_eq "seed op-ed, v4: $th > 0" 1 \
            "$(q "$WORK/seed2.db" "SELECT stance > 0 FROM v_stance WHERE theme = '$th'")"
    done
    expect_eq "seed op-ed, v4: china < 0" 1 \
        "$(q "$WORK/seed2.db" "SELECT stance < 0 FROM v_stance WHERE theme = 'china'")"
    expect_eq "seed op-ed, v4: evidence for at least three themes" 1 \
        "$(q "$WORK/seed2.db" "SELECT count(*) >= 3 FROM doc_scores WHERE evidence > 0")"
    expect_eq "seed op-ed, v4: contributions point the way of their theme's stance" 0 \
        "$(q "$WORK/seed2.db" "SELECT count(*) FROM contributions c JOIN doc_scores s
            ON s.doc = c.doc AND s.theme = c.theme WHERE c.polarity * s.stance < 0")"
    # Cues are what the text says, each way: most, not all, agree.
    expect_eq "seed op-ed, v4: 80% of evidence rows point the way of their theme's stance" 1 \
        "$(q "$WORK/seed2.db" "SELECT 5 * sum(e.polarity * s.stance > 0) >= 4 * count(*)
            FROM evidence e JOIN doc_scores s ON s.doc = e.doc AND s.theme = e.theme")"
    q "$WORK/seed2.db" "SELECT theme, round(stance, 3), evidence FROM v_stance ORDER BY theme" | sed 's/^/# seed v4: /'
else
    echo "# (no $SEED: the founding op-ed checks are skipped)"
fi
done_testing
