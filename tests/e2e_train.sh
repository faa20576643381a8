# tests/e2e_train.sh — opine train learns a stance model from labelled
# texts we write, opine eval judges it, and the model file round-trips:
# what the trainer's classifier said of its training texts is what the
# scorer, loading the file, says of them.
. "$(dirname "$0")/lib.sh"
base="$OPINE_TESTDATA/train-base.yaml"

# Three kinds of paragraph about tea, in many wordings: for, against, and
# reports that take no side. Deterministic, so every run learns the same.
awk 'BEGIN {
    split("wonderful|healthy|delicious|a joy|good for you|worth every cup", pro, "|")
    split("awful|harmful|bitter|a waste|bad for you|not worth a cup", con, "|")
    split("noon|the meeting|the station|dawn|the market|the office", at, "|")
    split("Monday|Tuesday|Friday|Sunday", day, "|")
    for (i = 1; i <= 36; i++) {
        p = pro[1 + i % 6]; c = con[1 + (i * 5) % 6]
        printf "{\"id\": \"p%d\", \"theme\": \"tea\", \"label\": \"+1\", \"text\": \"We should all drink more tea: tea is %s, and a country that drinks tea is %s.\"}\n", i, p, pro[1 + (i + 2) % 6]
        printf "{\"id\": \"n%d\", \"theme\": \"tea\", \"label\": \"-1\", \"text\": \"Stop drinking tea: tea is %s, and a habit of tea is %s.\"}\n", i, c, con[1 + (i + 1) % 6]
        printf "{\"id\": \"z%d\", \"theme\": \"tea\", \"label\": \"0\", \"text\": \"Tea was served at %s on %s, the organisers said.\"}\n", i, at[1 + i % 6], day[1 + i % 4]
        if (i % 6 == 0)
            printf "{\"id\": \"x%d\", \"theme\": \"tea\", \"label\": \"x\", \"text\": \"A tea towel fell.\"}\n", i
        # Readers disagree now and then: reports labelled as sides, so
        # that the classifier cannot fit every text and the round trip
        # below compares a matrix with errors in it.
        if (i % 9 == 0)
            printf "{\"id\": \"q%d\", \"theme\": \"tea\", \"label\": \"%s\", \"text\": \"Tea was served at %s on %s, the organisers said.\"}\n", i, i % 18 ? "+1" : "-1", at[1 + i % 6], day[1 + i % 4]
    }
}' >"$WORK/tea.jsonl"

run_opine 0 train "$WORK/tea.jsonl" --base "$base" --folds 3 -o "$WORK/m.yaml"
grep -q "^kind: linear" "$WORK/m.yaml" || fail "the model file is not a trained one"
ok "train writes a trained model"
grep -q "118 labels, 1 themes trained" "$WORK/err" ||
    fail "train did not take the 118 labelled texts (x too): $(cat "$WORK/err")"
ok "train takes every labelled text, x too"
bias=$(sed -n 's/^    bias: \[\(.*\)\]$/\1/p' "$WORK/m.yaml")
expect_eq "texts labelled x teach a fourth class (its bias and weights)" 4 \
    "$(echo "$bias" | tr ',' '\n' | grep -c .)"
expect_eq "every weight line has four weights" 0 \
    "$(sed -n '/^    weights:/,$p' "$WORK/m.yaml" | sed 1d | awk -F'\t' 'NF != 5' | wc -l)"
grep -q "^    evidence_probability: 0.6$" "$WORK/m.yaml" ||
    fail "no evidence_probability in the model"
ok "the model says the least probability for evidence"
expect_eq "the model keeps the base's targets and cues" 1 \
    "$(grep -c 'targets: \["tea"\]' "$WORK/m.yaml")"

run_opine 0 eval "$WORK/e.db" --labels "$WORK/tea.jsonl" --model "$WORK/m.yaml" \
    --baseline "$base"
grep -q "^tea  *model  *112 " "$WORK/out" || fail "no model row: $(cat "$WORK/out")"
acc=$(q "$WORK/e.db" "SELECT accuracy FROM evaluations WHERE method = 'model'
                      AND theme = 'tea'")
[ "$(echo "$acc >= 0.9" | bc -l)" = 1 ] || fail "accuracy on its own texts: $acc"
ok "the model gets its own clear texts right ($acc)"
expect_eq "evaluations: model, lexicon and majority for the theme and the mean" 6 \
    "$(q "$WORK/e.db" "SELECT count(*) FROM evaluations
                       WHERE method IN ('model', 'lexicon', 'majority')")"
expect_eq "evaluations are keyed by the model's hash" 1 \
    "$(q "$WORK/e.db" "SELECT count(DISTINCT model_hash) FROM evaluations")"

# The round trip: the trainer's own predictions (fit) = the scorer's.
fit=$(sed -n 's/^    fit: .*confusion: \(.*\)}$/\1/p' "$WORK/m.yaml" | tr -d ' ')
got=$(q "$WORK/e.db" "SELECT confusion FROM evaluations WHERE method = 'model'
                      AND theme = 'tea'")
[ -n "$fit" ] || fail "no fit confusion in the model file"
case $fit in "[[36,0,0],[0,36,0],[0,0,36]]" | "[[38,0,0],[0,36,0],[0,0,38]]")
    fail "the classifier fit every text: the round trip would prove little" ;;
esac
echo "# the trainer's confusion on its own texts: $fit"
expect_eq "the loaded model predicts what the trainer's classifier did" "$fit" "$got"

# Scores in a database: a text for tea scores > 0, one against < 0, and
# the evidence rows are the features that weighed most.
printf '%s\n' '{"id": "a", "text": "Tea is wonderful and healthy: we should drink more tea."}' \
    '{"id": "b", "text": "Tea is awful and harmful. Stop drinking tea."}' \
    '{"id": "c", "text": "Nothing here is about the drink at all."}' \
    '{"id": "d", "text": "A tea towel fell."}' \
    '{"id": "e", "text": "We should all drink more tea: tea is delicious and healthy."}' \
    '{"id": "f", "text": "Stop drinking tea: tea is bitter and harmful."}' >"$WORK/docs.jsonl"
run_opine 0 run "$WORK/s.db" "$WORK/docs.jsonl" --model "$WORK/m.yaml" -q
expect_eq "a text for tea scores > 0" 1 "$(q "$WORK/s.db" "SELECT stance > 0
    FROM doc_scores s JOIN documents d ON d.id = s.doc WHERE d.ext_id = 'a'")"
expect_eq "a text against tea scores < 0" 1 "$(q "$WORK/s.db" "SELECT stance < 0
    FROM doc_scores s JOIN documents d ON d.id = s.doc WHERE d.ext_id = 'b'")"
expect_eq "no mention, no stance" "" "$(q "$WORK/s.db" "SELECT stance
    FROM doc_scores s JOIN documents d ON d.id = s.doc WHERE d.ext_id = 'c'")"
n=$(q "$WORK/s.db" "SELECT count(*) FROM contributions c JOIN documents d
    ON d.id = c.doc WHERE d.ext_id = 'a' AND c.polarity = 1
    AND c.feature LIKE 'w:%'")
[ "$n" -ge 1 ] || fail "no word feature toward + for the text for tea"
ok "contributions name the classifier's features that moved the score"
expect_eq "evidence holds lexicon cues only, never classifier features" 0 \
    "$(q "$WORK/s.db" "SELECT count(*) FROM evidence WHERE cue GLOB '[wnb]:*'
        OR cue LIKE 'cue:%'")"
expect_eq "the cue 'delicious' is evidence toward + where it is said" \
    "delicious|1" "$(q "$WORK/s.db" "SELECT e.cue, e.polarity FROM evidence e
        JOIN documents d ON d.id = e.doc WHERE d.ext_id = 'e'")"
expect_eq "the cue 'bitter' is evidence toward - where it is said" \
    "bitter|-1" "$(q "$WORK/s.db" "SELECT e.cue, e.polarity FROM evidence e
        JOIN documents d ON d.id = e.doc WHERE d.ext_id = 'f'")"
expect_eq "the evidence count of a score is its evidence rows" 0 \
    "$(q "$WORK/s.db" "SELECT count(*) FROM doc_scores s WHERE evidence !=
        (SELECT count(*) FROM evidence e WHERE e.doc = s.doc
         AND e.theme = s.theme)")"
expect_eq "a text off the theme (like those labelled x) gives no evidence" 0 \
    "$(q "$WORK/s.db" "SELECT (SELECT count(*) FROM evidence e JOIN documents d
        ON d.id = e.doc WHERE d.ext_id = 'd') + (SELECT count(*)
        FROM contributions c JOIN documents d ON d.id = c.doc
        WHERE d.ext_id = 'd')")"
expect_eq "and most of its window's mass goes to neither side (0.66 without x)" 1 \
    "$(q "$WORK/s.db" "SELECT positive + negative < 0.4
        FROM doc_scores s JOIN documents d ON d.id = s.doc WHERE d.ext_id = 'd'")"

# Cues the labels confirm, and those they do not (models/train.c,
# unconfirmed()): "scrumptious" is in no training text, "healthy" as a cue
# against tea is only in texts labelled for it. Both still count as
# features; only confirmed cues become evidence rows.
sed -e 's/^    positive: \[delicious\]$/    positive: [delicious, scrumptious]/' \
    -e 's/^    negative: \[bitter\]$/    negative: [bitter, healthy]/' \
    "$base" >"$WORK/base2.yaml"
grep -q scrumptious "$WORK/base2.yaml" && grep -q healthy "$WORK/base2.yaml" ||
    fail "the second base was not written: $(cat "$WORK/base2.yaml")"
run_opine 0 train "$WORK/tea.jsonl" --base "$WORK/base2.yaml" --folds 3 -o "$WORK/c.yaml"
expect_eq "an unseen cue and one its texts contradict are quiet" \
    'quiet_positive: ["scrumptious"]|quiet_negative: ["healthy"]' \
    "$(sed -n 's/^    \(quiet_.*\)$/\1/p' "$WORK/c.yaml" | paste -sd'|')"
run_opine 0 train "$WORK/tea.jsonl" --base "$WORK/base2.yaml" --folds 3 \
    --all-cues -o "$WORK/c-all.yaml"
if grep -q '^    quiet_' "$WORK/c-all.yaml"; then
    fail "--all-cues still lists quiet cues"
fi
expect_eq "quiet cues change no weight" \
    "$(sed -n '/^    weights:/,$p' "$WORK/c.yaml" | md5sum)" \
    "$(sed -n '/^    weights:/,$p' "$WORK/c-all.yaml" | md5sum)"
printf '%s\n' '{"id": "s", "text": "We should all drink more tea: tea is scrumptious, delicious and healthy."}' \
    >"$WORK/c-docs.jsonl"
ev="SELECT group_concat(cue, ',') FROM (SELECT cue FROM evidence ORDER BY cue)"
run_opine 0 run "$WORK/c.db" "$WORK/c-docs.jsonl" --model "$WORK/c.yaml" -q
expect_eq "a quiet cue is no evidence row; a confirmed one is" delicious \
    "$(q "$WORK/c.db" "$ev")"
run_opine 0 run "$WORK/c-all.db" "$WORK/c-docs.jsonl" --model "$WORK/c-all.yaml" -q
expect_eq "with --all-cues, every cue of the side is" delicious,scrumptious \
    "$(q "$WORK/c-all.db" "$ev")"
expect_eq "and the stance is the same" \
    "$(q "$WORK/c-all.db" "SELECT stance FROM doc_scores")" \
    "$(q "$WORK/c.db" "SELECT stance FROM doc_scores")"
sed 's/^    quiet_positive: \["scrumptious"\]$/    quiet_positive: ["crumpets"]/' \
    "$WORK/c.yaml" >"$WORK/c-bad.yaml"
run_opine 2 run "$WORK/c-bad.db" "$WORK/c-docs.jsonl" --model "$WORK/c-bad.yaml" -q
grep -q "quiet_positive: 'crumpets' is not one of its positive cues" "$WORK/err" ||
    fail "a quiet cue that is no cue: $(cat "$WORK/err")"
ok "a quiet cue that is not one of the theme's cues is named"

# Any labels: TSV with named labels and a map learn the same weights.
{
    printf 'id\ttheme\tstance\ttext\n'
    sed -e 's/^{"id": "\([^"]*\)", "theme": "\([^"]*\)", "label": "\([^"]*\)", "text": "\(.*\)"}$/\1\t\2\t\3\t\4/' \
        -e 's/\t+1\t/\tFAVOR\t/; s/\t-1\t/\tAGAINST\t/; s/\t0\t/\tNONE\t/; s/\tx\t/\tOFF\t/' \
        "$WORK/tea.jsonl"
} >"$WORK/tea.tsv"
run_opine 0 train "$WORK/tea.tsv" --base "$base" --folds 3 -o "$WORK/m2.yaml" \
    --labels-map FAVOR=1,AGAINST=-1,NONE=0,OFF=x
expect_eq "TSV and named labels learn the same weights" \
    "$(sed -n '/^    weights:/,$p' "$WORK/m.yaml" | md5sum)" \
    "$(sed -n '/^    weights:/,$p' "$WORK/m2.yaml" | md5sum)"
run_opine 0 train "$WORK/tea.tsv" --base "$base" --folds 3 -o "$WORK/m3.yaml" \
    --labels-map FAVOR=1,AGAINST=-1,NONE=0,OFF=skip
grep -q "112 labels, 1 themes trained" "$WORK/err" ||
    fail "a label mapped to skip was kept: $(cat "$WORK/err")"
expect_eq "without x labels, three weights a line" 0 \
    "$(sed -n '/^    weights:/,$p' "$WORK/m3.yaml" | sed 1d | awk -F'\t' 'NF != 4' | wc -l)"

# fits_only_with WHAT WITH WITHOUT: the model WITH the features fits its
# own texts (the accuracy its file records is 1), the one WITHOUT them
# cannot (at most 0.75).
fits_only_with() {
    local with without
    with=$(sed -n 's/^    fit: .*accuracy: \([0-9.]*\), sign.*/\1/p' "$2")
    without=$(sed -n 's/^    fit: .*accuracy: \([0-9.]*\), sign.*/\1/p' "$3")
    echo "# accuracy on its own texts: $with with $1, $without without"
    [ "$(echo "$with == 1 && $without <= 0.75" | bc -l)" = 1 ] ||
        fail "with $1 $with (want 1), without $without (want <= 0.75)"
}

# scorer_agrees WHAT LABELS MODEL P: the scorer agrees with the trainer
# on LABELS (theme tea): eval of the loaded MODEL gives the confusion its
# file records for its own texts, and the texts score alike through opine
# run ($WORK/P-run.db: tokens in memory) and through the stages
# ($WORK/P-st.db: tokens and their quote flags read back from
# doc_tokens.stream); the texts without labels are $WORK/P-docs.jsonl.
scores="SELECT d.ext_id, round(s.stance, 9), s.evidence FROM doc_scores s
    JOIN documents d ON d.id = s.doc ORDER BY d.ext_id"
scorer_agrees() {
    run_opine 0 eval "$WORK/$4-e.db" --labels "$2" --model "$3"
    expect_eq "the loaded $1 model predicts what the trainer's classifier did" \
        "$(sed -n 's/^    fit: .*confusion: \(.*\)}$/\1/p' "$3" | tr -d ' ')" \
        "$(q "$WORK/$4-e.db" "SELECT confusion FROM evaluations
            WHERE method = 'model' AND theme = 'tea'")"
    sed 's/"theme": "tea", "label": "[^"]*", //' "$2" >"$WORK/$4-docs.jsonl"
    run_opine 0 run "$WORK/$4-run.db" "$WORK/$4-docs.jsonl" --model "$3" -q
    run_opine 0 ingest "$WORK/$4-st.db" "$WORK/$4-docs.jsonl" -q
    run_opine 0 tokenize "$WORK/$4-st.db" -q
    run_opine 0 stem "$WORK/$4-st.db" -q
    run_opine 0 score "$WORK/$4-st.db" --model "$3" -q
    expect_eq "$1: staged scores equal opine run's" \
        "$(q "$WORK/$4-run.db" "$scores")" "$(q "$WORK/$4-st.db" "$scores")"
}

# Quoting (models/README.md, "Trained models"): the same words in the
# writer's voice take a side, inside quotation marks they are a report.
# Only the feature w:" (a token after a double quotation mark) and the
# speaker features (s:we", s:") tell the two apart, so a model with them
# fits them and one without cannot.
awk 'BEGIN {
    split("wonderful|healthy|good for you|a joy|worth every cup|refreshing", pro, "|")
    for (i = 1; i <= 30; i++) {
        t = sprintf("Tea is %s and %s.", pro[1 + i % 6], pro[1 + (i + 1 + int(i / 6)) % 6])
        printf "{\"id\": \"w%d\", \"theme\": \"tea\", \"label\": \"+1\", \"text\": \"%s\"}\n", i, t
        if (i % 3 == 0)
            q = "\\u201c" t "\\u201d"
        else
            q = "\\\"" t "\\\""
        printf "{\"id\": \"r%d\", \"theme\": \"tea\", \"label\": \"0\", \"text\": \"%s\"}\n", i, q
    }
}' >"$WORK/quotes.jsonl"
grep -q '"text": "\\"Tea is' "$WORK/quotes.jsonl" &&
    grep -q '"text": "\\u201cTea is' "$WORK/quotes.jsonl" ||
    fail "the quoted texts were not written: $(head -4 "$WORK/quotes.jsonl")"
run_opine 0 train "$WORK/quotes.jsonl" --base "$base" --folds 3 -o "$WORK/q.yaml"
grep -q '^    quotes: true$' "$WORK/q.yaml" || fail "no 'quotes: true' in the model"
grep -q '^      w:"	' "$WORK/q.yaml" || fail "no weights for the feature w:\""
ok "a model trained with quotes says so and weighs w:\""
run_opine 0 train "$WORK/quotes.jsonl" --base "$base" --folds 3 --no-quotes \
    --no-speaker -o "$WORK/noq.yaml"
if grep -q '^    quotes:\|^    speaker:\|^      w:"\|^      s:' "$WORK/noq.yaml"; then
    fail "--no-quotes --no-speaker still has the features"
fi
ok "--no-quotes and --no-speaker leave the features out"
fits_only_with quotes "$WORK/q.yaml" "$WORK/noq.yaml"
ok "only quotes tell the writer's voice from a quotation"
scorer_agrees quotes "$WORK/quotes.jsonl" "$WORK/q.yaml" q
# A database tokenized before format 3: its streams keep no quotation
# marks. Streams of texts without any are format 2's bytes but for the tag,
# so setting the tag back makes the 30 unquoted texts "old" ones; scoring
# with the quotes model says how many it scored blind to quoting (even
# with -q), and counts them in run_counters; the model without the
# feature scores them without a word.
run_opine 0 ingest "$WORK/old.db" "$WORK/q-docs.jsonl" -q
run_opine 0 tokenize "$WORK/old.db" -q
run_opine 0 stem "$WORK/old.db" -q
q "$WORK/old.db" "UPDATE doc_tokens SET stream = X'02' || substr(stream, 2)
    WHERE doc IN (SELECT id FROM documents WHERE ext_id GLOB 'w*')" >/dev/null
q "$WORK/old.db" "VACUUM INTO '$WORK/old2.db'"
run_opine 0 score "$WORK/old.db" --model "$WORK/q.yaml" -q
grep -q "score: warning: 30 documents were tokenized by an older opine" "$WORK/err" ||
    fail "no warning for old token streams: $(cat "$WORK/err")"
expect_eq "run_counters counts the streams without quotation marks" 30 \
    "$(q "$WORK/old.db" "SELECT value FROM run_counters WHERE name = 'unquoted_streams'")"
expect_eq "a format 2 stream of a text without quotes scores as its format 3 twin" \
    "$(q "$WORK/q-st.db" "$scores")" "$(q "$WORK/old.db" "$scores")"
run_opine 0 score "$WORK/old2.db" --model "$WORK/noq.yaml" -q
if grep -q "warning" "$WORK/err"; then
    fail "a model without the feature warned: $(cat "$WORK/err")"
fi
ok "a model without the quotation feature does not warn"
run_opine 0 run "$WORK/quax.db" "$WORK/q-docs.jsonl" --model "$WORK/q.yaml" -q \
    --tokenizer uax29
expect_eq "the uax29 tokenizer marks quotes as the default one does" \
    "$(q "$WORK/q-run.db" "$scores")" "$(q "$WORK/quax.db" "$scores")"
expect_eq "the writer's voice: P(+) > 0.5 and a higher stance than any quotation's (P(+) < 0.3)" 1 \
    "$(q "$WORK/q-run.db" "SELECT min(s.positive) FILTER (WHERE d.ext_id GLOB 'w*')
        > 0.5 AND max(s.positive) FILTER (WHERE d.ext_id GLOB 'r*') < 0.3
        AND min(s.stance) FILTER (WHERE d.ext_id GLOB 'w*')
        > max(s.stance) FILTER (WHERE d.ext_id GLOB 'r*')
        FROM doc_scores s JOIN documents d ON d.id = s.doc")"

# Speakers (models/score_linear.c, SPEAKER FEATURES): the writer's "we"
# takes a side, their "they" reports one. Both are stop words between
# stop words ("as we all know"), so no word or word pair tells them apart:
# only s:we does, and a model without it cannot fit them. The quoted "we"
# of a reporting sentence (s:we", s:said, s:") is a report too.
awk 'BEGIN {
    split("wonderful|healthy|good for you|a joy|worth every cup|refreshing", pro, "|")
    for (i = 1; i <= 30; i++) {
        a = pro[1 + i % 6]; b = pro[1 + (i + 1 + int(i / 6)) % 6]
        printf "{\"id\": \"we%d\", \"theme\": \"tea\", \"label\": \"+1\", \"text\": \"Tea, as we all know, is %s and %s.\"}\n", i, a, b
        printf "{\"id\": \"they%d\", \"theme\": \"tea\", \"label\": \"0\", \"text\": \"Tea, as they all know, is %s and %s.\"}\n", i, a, b
        if (i % 4 == 2)
            printf "{\"id\": \"said%d\", \"theme\": \"tea\", \"label\": \"0\", \"text\": \"She said: \\\"Tea, as we all know, is %s.\\\" And so it is %s.\"}\n", i, a, b
        else if (i % 4 == 0)
            printf "{\"id\": \"said%d\", \"theme\": \"tea\", \"label\": \"0\", \"text\": \"\\\"Tea, as we all know, is %s,\\\" they wrote.\"}\n", i, a
    }
}' >"$WORK/speaker.jsonl"
grep -q '"text": "She said: \\"Tea, as we' "$WORK/speaker.jsonl" ||
    fail "the speaker texts were not written: $(sed -n 3p "$WORK/speaker.jsonl")"
run_opine 0 train "$WORK/speaker.jsonl" --base "$base" --folds 3 -o "$WORK/s.yaml"
grep -q '^    speaker: true$' "$WORK/s.yaml" || fail "no 'speaker: true' in the model"
for f in 's:we' 's:we"' 's:said' 's:"'; do
    grep -q "^      $f	" "$WORK/s.yaml" || fail "no weights for the feature $f"
done
ok "a model trained with speakers says so and weighs s:we, s:we\", s:said and s:\""
run_opine 0 train "$WORK/speaker.jsonl" --base "$base" --folds 3 --no-speaker \
    -o "$WORK/nos.yaml"
fits_only_with speakers "$WORK/s.yaml" "$WORK/nos.yaml"
ok "only the speaker features tell the writer's \"we\" from \"they\""
scorer_agrees speaker "$WORK/speaker.jsonl" "$WORK/s.yaml" s
expect_eq "the writer's \"we\" is on the + side (P(+) > 0.5), no \"they\" or quotation is" 1 \
    "$(q "$WORK/s-run.db" "SELECT min(s.positive) FILTER (WHERE d.ext_id GLOB 'we*')
        > 0.5 AND max(s.positive) FILTER (WHERE d.ext_id NOT GLOB 'we*') < 0.5
        FROM doc_scores s JOIN documents d ON d.id = s.doc")"

# Mistakes are explained.
printf '{"text": "tea", "theme": "coffee", "label": "1"}\n' >"$WORK/bad.jsonl"
run_opine 2 train "$WORK/bad.jsonl" --base "$base" -o "$WORK/bad.yaml"
grep -q "theme 'coffee' is not in the base model" "$WORK/err" ||
    fail "unknown theme: $(cat "$WORK/err")"
ok "a theme the base does not know is named"
printf '{"text": "tea", "theme": "tea", "label": "maybe"}\n' >"$WORK/bad.jsonl"
run_opine 2 train "$WORK/bad.jsonl" --base "$base" -o "$WORK/bad.yaml"
grep -q "bad.jsonl:1: label 'maybe'" "$WORK/err" || fail "bad label: $(cat "$WORK/err")"
ok "a label that is not -1, 0, +1 or x is named with its line"
done_testing
