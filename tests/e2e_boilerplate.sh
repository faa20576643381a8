# tests/e2e_boilerplate.sh — boilerplate lines through the real binary, on
# a generated corpus: 40 articles of "Alpha Times" with lines the site
# repeats (a related link that names North Korea and sanctions, a
# subscription prompt, photo credits with varying numbers) and one it
# repeats only four times; 12 of "Beta Post" with the same prompt and link
# a few times only; 8 pages without an outlet from one host, with a share
# line; and a stub of nothing but Alpha's furniture. The furniture must be
# found, kept in the bodies, left out of terms and evidence, exactly as if
# known from the start, whatever the order, split or stages.
. "$(dirname "$0")/lib.sh"

gen() { # gen [reverse]
    awk -v rev="${1:-}" 'BEGIN {
        srand(11)
        n = split("ka lo mi ne su ta ri po ve zu an el or is um ba de fi go hu", syl, " ")
        for (i = 1; i <= 2000; i++) {
            w = ""
            k = 2 + int(rand() * 2)
            for (j = 0; j < k; j++) w = w syl[1 + int(rand() * n)]
            word[i] = w
        }
        nd = 0
        for (d = 1; d <= 61; d++) {
            para = ""
            for (p = 0; p < 3; p++) {
                s = ""
                for (i = 0; i < 30; i++) s = s word[1 + int(rand() * 2000)] (i % 10 == 9 ? ". " : " ")
                para = para (p ? "\\n\\n" : "") s
            }
            related = "RELATED: North Korea rejects sanctions, calls for dialogue"
            prompt = "Click here to subscribe to the Alpha newsletter."
            if (d <= 40) {
                o = "\"outlet\": \"Alpha Times\", "
                t = para
                if (d == 1) t = "North Korea wants dialogue. " t
                if (d % 2 == 0) t = t "\\n\\n" related
                if (d % 4 == 1) t = t "\\n\\nPhoto " d " of " (d + 7) ": (AP Photo/Jane Doe)"
                if (d % 10 == 3) t = t "\\n\\nSponsored content from our partners"
                t = t "\\n\\n" prompt
            } else if (d <= 52) {
                o = "\"outlet\": \"Beta Post\", "
                t = para
                if (d <= 43) t = t "\\n\\n" prompt
                if (d >= 51) t = t "\\n\\n" related
            } else if (d <= 60) {
                o = "\"url\": \"https://News.Example.org/story/" d "\", "
                t = para "\\n\\nShare this article on Facebook"
            } else {
                o = "\"outlet\": \"Alpha Times\", "
                t = related "\\n\\n" prompt
            }
            line[++nd] = sprintf("{\"id\": \"p%02d\", %s\"text\": \"%s\"}", d, o, t)
        }
        for (d = 1; d <= nd; d++) print line[rev ? nd + 1 - d : d]
    }'
}
gen >"$WORK/all.jsonl"
gen reverse >"$WORK/rev.jsonl"
head -12 "$WORK/all.jsonl" >"$WORK/first.jsonl"
tail -n +13 "$WORK/all.jsonl" >"$WORK/second.jsonl"
cat >"$WORK/m.yaml" <<'YAML'
name: nk-test
version: 1
themes:
  north_korea:
    label: North Korea
    poles: {positive: engagement, negative: pressure}
    targets: ["north korea"]
    positive: [dialogue]
    negative: [sanctions]
YAML

# flagged DB: the flagged lines as "outlet|docs|occurrences|line", sorted
flagged() {
    q "$1" "SELECT coalesce(outlet, '') || '|' || docs || '|' || occurrences || '|' || line
            FROM boilerplate_lines ORDER BY outlet, line"
}
# Everything a run computes, by text, to compare two databases: terms and
# doc_terms (same_stats), and here doc_lengths, scores, evidence and the
# flagged lines (by hash: the text shown is the first document's).
same_results() {
    local a=$1 b=$2 what=$3 n
    same_stats "$a" "$b" "$what"
    for sel in "SELECT hex(d.hash), l.tokens, l.terms FROM %s.doc_lengths l JOIN %s.documents d ON d.id = l.doc" \
               "SELECT hex(d.hash), t.theme, s.mentions, round(s.salience, 9), round(s.stance, 9) FROM %s.doc_scores s JOIN %s.documents d ON d.id = s.doc JOIN %s.themes t ON t.id = s.theme" \
               "SELECT hex(d.hash), e.cue, e.span_start, e.span_end, e.polarity, e.weight FROM %s.evidence e JOIN %s.documents d ON d.id = e.doc" \
               "SELECT hex(d.hash), b.lines, b.tokens, b.fingerprint FROM %s.doc_boilerplate b JOIN %s.documents d ON d.id = b.doc" \
               "SELECT hash, outlet, docs, occurrences FROM %s.boilerplate_lines"; do
        local sa sb
        sa=$(echo "$sel" | sed 's/%s/main/g')
        sb=$(echo "$sel" | sed 's/%s/other/g')
        n=$(q "$a" "ATTACH '$b' AS other; SELECT (SELECT count(*) FROM ($sa EXCEPT $sb))
                                             + (SELECT count(*) FROM ($sb EXCEPT $sa))")
        expect_eq "$what: ${sel:7:30}... the same" 0 "$n"
    done
}

# The similarity index holds every stemmed document's terms as doc_terms
# has them after the recount (opine similar --check compares them), and
# answers as the index of a database that took another route.
index_ok() { # index_ok DB WHAT
    run_opine 0 similar "$1" --check
    grep -q "^ok: " "$WORK/out" || fail "$2: the similarity index: $(cat "$WORK/out" "$WORK/err")"
    ok "$2: the similarity index holds the terms counted again"
}
same_similar() { # same_similar DB_A DB_B WHAT: the same answers, by ext_id
    local id
    for id in p02 p13 p45; do
        "$OPINE" similar "$1" "$id" --top 5 | cut -f3,4 >"$WORK/sa"
        "$OPINE" similar "$2" "$id" --top 5 | cut -f3,4 >"$WORK/sb"
        cmp -s "$WORK/sa" "$WORK/sb" || fail "$3: opine similar $id differs"
    done
    ok "$3: opine similar answers the same"
}

# 0. Looking for boilerplate is asked for (it costs CPU): by default a run
# neither hashes lines nor leaves any out.
run_opine 0 run "$WORK/plain.db" "$WORK/all.jsonl" -q --model "$WORK/m.yaml"
expect_eq "by default: no lines, none flagged, nothing left out" "0|0|0|off" \
    "$(q "$WORK/plain.db" "SELECT (SELECT count(*) FROM doc_lines), (SELECT count(*) FROM boilerplate_lines),
                          (SELECT count(*) FROM doc_boilerplate), (SELECT value FROM meta WHERE key = 'boilerplate')")"

# 1. One run flags the lines each outlet (or host) repeats in five or more
# documents, and no others.
run_opine 0 run "$WORK/one.db" "$WORK/all.jsonl" -q --boilerplate exclude --model "$WORK/m.yaml"
expect_eq "the furniture, per outlet, with documents and occurrences" \
"Alpha Times|41|41|Click here to subscribe to the Alpha newsletter.
Alpha Times|10|10|Photo 1 of 8: (AP Photo/Jane Doe)
Alpha Times|21|21|RELATED: North Korea rejects sanctions, calls for dialogue
news.example.org|8|8|Share this article on Facebook" "$(flagged "$WORK/one.db")"
check_exact "$WORK/one.db"
index_ok "$WORK/one.db" "one run"

# 2. Kept in the stored bodies; left out of terms, except where an outlet
# repeats it too seldom (Beta Post) or a document is nothing but such
# lines (the stub).
expect_eq "the body keeps its furniture" 1 \
    "$("$OPINE" sql "$WORK/one.db" "SELECT inflate(body) LIKE '%Click here to subscribe%'
                                    FROM documents WHERE ext_id = 'p02'" | tail -n 1)"
expect_eq "'subscribe' counted in Beta's 3 documents and the stub only" "p41 p42 p43 p61" \
    "$(q "$WORK/one.db" "SELECT group_concat(ext_id, ' ') FROM (SELECT d.ext_id FROM doc_terms dt
                         JOIN stems s ON s.id = dt.stem JOIN documents d ON d.id = dt.doc
                         WHERE s.stem = 'subscrib' ORDER BY d.ext_id)")"
expect_eq "the line in four documents is counted" 4 \
    "$(q "$WORK/one.db" "SELECT count(*) FROM doc_terms dt JOIN stems s ON s.id = dt.stem WHERE s.stem = 'sponsor'")"
expect_eq "'facebook' left out on the host's pages" 0 \
    "$(q "$WORK/one.db" "SELECT count(*) FROM doc_terms dt JOIN stems s ON s.id = dt.stem WHERE s.stem = 'facebook'")"
# Tokens that would have counted (stop words aside): the link 7 (for),
# the prompt 4 (here, to, to, the), a credit 7 (of), a share line 3 (this,
# on).
expect_eq "tokens left out: 20 links, 40 prompts, 10 credits, 8 share lines" \
    "$((20 * 7 + 40 * 4 + 10 * 7 + 8 * 3))" \
    "$(q "$WORK/one.db" "SELECT sum(tokens) FROM doc_boilerplate")"

# 3. Evidence from furniture is gone: 'sanctions' appears in Alpha's
# articles only in the related link; 'dialogue' in p01's own text stays.
ev() {
    q "$1" "SELECT count(*) FROM evidence e JOIN documents d ON d.id = e.doc
            WHERE d.outlet = 'Alpha Times' AND d.ext_id <> 'p61' AND e.cue = '$2'"
}
expect_eq "no evidence from Alpha's related links" 0 "$(ev "$WORK/one.db" sanctions)"
expect_eq "evidence from an article's own text stays" 1 "$(ev "$WORK/one.db" dialogue)"
run_opine 0 run "$WORK/count.db" "$WORK/all.jsonl" -q --model "$WORK/m.yaml" --boilerplate count
expect_eq "counted: the related links give evidence" 20 "$(ev "$WORK/count.db" sanctions)"
expect_eq "counted: the same lines are flagged" "$(flagged "$WORK/one.db")" "$(flagged "$WORK/count.db")"
expect_eq "counted: nothing left out" 0 "$(q "$WORK/count.db" "SELECT count(*) FROM doc_boilerplate")"
check_exact "$WORK/count.db"
run_opine 0 status "$WORK/one.db"
grep -q "exclude at 5 documents" "$WORK/out" || fail "status shows the boilerplate setting"

# 4. Exact whatever the order: the documents reversed, one thread, two
# runs, stage by stage, all give the first run's results.
run_opine 0 run "$WORK/rev.db" "$WORK/rev.jsonl" -q --boilerplate exclude --model "$WORK/m.yaml"
same_results "$WORK/one.db" "$WORK/rev.db" "reversed"
run_opine 0 run "$WORK/j1.db" "$WORK/all.jsonl" -q --boilerplate exclude --model "$WORK/m.yaml" -j 1 --commit-every 1
same_results "$WORK/one.db" "$WORK/j1.db" "-j 1"
run_opine 0 run "$WORK/two.db" "$WORK/first.jsonl" -q --boilerplate exclude --model "$WORK/m.yaml"
expect_eq "the first 12 flag the prompt and the link, not the credit (3 of 10)" 2 "$(q "$WORK/two.db" "SELECT count(*) FROM boilerplate_lines")"
# (the database's setting holds for the later runs)
run_opine 0 run "$WORK/two.db" "$WORK/second.jsonl" -q --model "$WORK/m.yaml"
same_results "$WORK/one.db" "$WORK/two.db" "two runs"
check_exact "$WORK/two.db"
index_ok "$WORK/two.db" "two runs"
same_similar "$WORK/one.db" "$WORK/two.db" "two runs"
run_opine 0 ingest "$WORK/staged.db" "$WORK/all.jsonl" -q --boilerplate exclude
run_opine 0 tokenize "$WORK/staged.db" -q
run_opine 0 stem "$WORK/staged.db" -q
run_opine 0 score "$WORK/staged.db" -q --model "$WORK/m.yaml"
same_results "$WORK/one.db" "$WORK/staged.db" "staged"
# stemmed in two halves, the second ingest flagging lines the first
# half's stemmed documents hold: they are counted again
for half in first second; do
    run_opine 0 ingest "$WORK/halves.db" "$WORK/$half.jsonl" -q --boilerplate exclude
    run_opine 0 tokenize "$WORK/halves.db" -q
    run_opine 0 stem "$WORK/halves.db" -q
done
run_opine 0 score "$WORK/halves.db" -q --model "$WORK/m.yaml"
same_results "$WORK/one.db" "$WORK/halves.db" "ingested and stemmed in halves"
index_ok "$WORK/halves.db" "ingested and stemmed in halves"
same_similar "$WORK/one.db" "$WORK/halves.db" "ingested and stemmed in halves"

# 5. Another setting counts the documents it changes again, exactly as a
# new database with it.
cp "$WORK/one.db" "$WORK/switch.db"
run_opine 0 run "$WORK/switch.db" "$WORK/all.jsonl" -q --model "$WORK/m.yaml" --boilerplate count
same_results "$WORK/count.db" "$WORK/switch.db" "exclude, then count"
run_opine 0 run "$WORK/switch.db" "$WORK/all.jsonl" -q --model "$WORK/m.yaml" --boilerplate exclude
same_results "$WORK/one.db" "$WORK/switch.db" "and back"
index_ok "$WORK/switch.db" "exclude, count, exclude"
run_opine 0 run "$WORK/fifteen.db" "$WORK/all.jsonl" -q --boilerplate exclude --model "$WORK/m.yaml" --boilerplate-min-docs 15
expect_eq "at 15 documents: the prompt and the link" 2 "$(q "$WORK/fifteen.db" "SELECT count(*) FROM boilerplate_lines")"
run_opine 0 run "$WORK/switch.db" "$WORK/all.jsonl" -q --model "$WORK/m.yaml" --boilerplate-min-docs 15
same_results "$WORK/fifteen.db" "$WORK/switch.db" "5, then 15 documents"
# Turned on later for a database that did not look: lines from the stored
# bodies, the stemmed documents counted again, the scores made anew.
cp "$WORK/plain.db" "$WORK/later.db"
run_opine 0 stem "$WORK/later.db" -q --boilerplate exclude
run_opine 0 score "$WORK/later.db" -q --model "$WORK/m.yaml"
same_results "$WORK/one.db" "$WORK/later.db" "off, then exclude"
index_ok "$WORK/later.db" "off, then exclude"
run_opine 2 run "$WORK/bad.db" "$WORK/all.jsonl" -q --boilerplate sometimes
grep -q "boilerplate" "$WORK/err" || fail "a bad --boilerplate is named"

# 6. Killed while counting lines again: nothing of the count is
# committed, and a rerun ends as the uninterrupted run.
OPINE_FAULT=boilerplate "$OPINE" run "$WORK/kill.db" "$WORK/all.jsonl" -q --boilerplate exclude --model "$WORK/m.yaml" \
    2>"$WORK/err" && fail "the fault point boilerplate was not reached"
grep -q "fault point 'boilerplate'" "$WORK/err" || fail "boilerplate was hit"
expect_eq "killed: no lines flagged yet" 0 "$(q "$WORK/kill.db" "SELECT count(*) FROM boilerplate_lines")"
run_opine 0 run "$WORK/kill.db" "$WORK/all.jsonl" -q --model "$WORK/m.yaml"
same_results "$WORK/one.db" "$WORK/kill.db" "killed, then rerun"
check_exact "$WORK/kill.db"
index_ok "$WORK/kill.db" "killed, then rerun"

# 7. What reads token streams leaves out what the counts leave out: a
# phrase, NEAR (from streams and from positions), keyword in context and
# collocations do not find a word in a left-out line that doc_terms does
# not count. Six pages of one outlet end with the same line, which holds
# "zebra sanctions"; g1's own text has both words far apart, g2's has the
# phrase.
for d in 1 2 3 4 5 6; do
    case $d in
    1) own="Zebra herds crossed the river at dawn, and later the council debated new sanctions on ivory traders in the capital." ;;
    2) own="The zebra sanctions debate returned to parliament this week." ;;
    3) own="Farmers in the north planted barley early this spring." ;;
    4) own="A new bridge opened across the harbour on Tuesday." ;;
    5) own="Teachers asked for smaller classes and longer breaks." ;;
    6) own="The museum showed old maps of the coastline." ;;
    esac
    printf '{"id": "g%d", "outlet": "Gamma Daily", "text": "%s\\n\\nMore on this: zebra sanctions loom over the valley"}\n' "$d" "$own"
done >"$WORK/gamma.jsonl"
hits() { # hits DB QUERY: the matching documents' ext_ids
    "$OPINE" search "$1" "$2" --tsv --snippet 0 --limit 0 | tail -n +2 | cut -f3 | sort | tr '\n' ' '
}
stem_tf() { # stem_tf DB STEM: its occurrences in doc_terms
    q "$1" "SELECT coalesce(sum(dt.tf), 0) FROM doc_terms dt JOIN stems s ON s.id = dt.stem WHERE s.stem = '$2'"
}
run_opine 0 run "$WORK/gx.db" "$WORK/gamma.jsonl" -q --boilerplate exclude --model "$WORK/m.yaml"
run_opine 0 run "$WORK/gp.db" "$WORK/gamma.jsonl" -q --boilerplate exclude --positions on --model "$WORK/m.yaml"
run_opine 0 run "$WORK/gc.db" "$WORK/gamma.jsonl" -q --boilerplate count --model "$WORK/m.yaml"
expect_eq "gamma: the closing line is left out of the six pages" 6 "$(q "$WORK/gx.db" "SELECT count(*) FROM doc_boilerplate")"
for db in gx gp; do
    expect_eq "$db: KWIC's hits of zebra are doc_terms' count of it" "$(stem_tf "$WORK/$db.db" zebra)" \
        "$("$OPINE" kwic "$WORK/$db.db" zebra --tsv | tail -n +2 | wc -l | tr -d ' ')"
    expect_eq "$db: KWIC finds zebra in the pages' own text only" 2 "$(stem_tf "$WORK/$db.db" zebra)"
    expect_eq "$db: the phrase only where the page itself says it" "g2 " "$(hits "$WORK/$db.db" '"zebra sanctions"')"
    expect_eq "$db: NEAR only where the page itself has both close" "g2 " "$(hits "$WORK/$db.db" 'NEAR(zebra sanctions, 3)')"
    expect_eq "$db: NEAR in a sentence of the page's own text" "g1 g2 " "$(hits "$WORK/$db.db" 'NEAR(zebra sanctions, SENTENCE)')"
done
run_opine 0 collocations "$WORK/gx.db" --min-count 2 --tsv
grep -q "^zebra sanctions" "$WORK/out" && fail "gx: a collocation from the left-out line"
grep -q "63 tokens" "$WORK/err" "$WORK/out" || fail "gx: collocations count the 63 tokens doc_terms' documents keep: $(cat "$WORK/err")"
ok "gx: collocations leave the left-out line out"
# counted, the line is found everywhere, as doc_terms counts it
expect_eq "gc: KWIC's hits of zebra are doc_terms' count of it" 8 \
    "$("$OPINE" kwic "$WORK/gc.db" zebra --tsv | tail -n +2 | wc -l | tr -d ' ')"
expect_eq "gc: doc_terms counts the line" 8 "$(stem_tf "$WORK/gc.db" zebra)"
expect_eq "gc: the phrase in every page" "g1 g2 g3 g4 g5 g6 " "$(hits "$WORK/gc.db" '"zebra sanctions"')"
run_opine 0 collocations "$WORK/gc.db" --min-count 2 --tsv
grep -q "^zebra sanctions" "$WORK/out" || fail "gc: the counted line's collocation"
ok "gc: collocations count the line"
done_testing
