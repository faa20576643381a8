# tests/e2e_languages.sh — a document's "lang" field picks its stemmer and
# stop list; --lang sets the database's language. Texts are our own.
. "$(dirname "$0")/lib.sh"
IN=$OPINE_TESTDATA/languages.jsonl

run_opine 0 run "$WORK/multi.db" "$IN" -q
expect_eq "each document's language, when Snowball has it" "en1|english
de1|german
fr1|french
es1|spanish
ru1|russian
xx1|" "$(q "$WORK/multi.db" "SELECT ext_id, lang FROM documents ORDER BY id")"
expect_eq "an unknown language stays in doc_meta" "klingon" \
    "$(q "$WORK/multi.db" "SELECT m.value FROM doc_meta m JOIN documents d ON d.id = m.doc WHERE d.ext_id = 'xx1' AND m.key = 'lang'")"
stem_of() { q "$WORK/multi.db" "SELECT s.stem || '/' || s.lang FROM types t JOIN stems s ON s.id = t.stem WHERE t.type = '$1' AND t.lang = '$2'"; }
expect_eq "German stems"   "haus/german"    "$(stem_of häuser german)"
expect_eq "German stems 2" "stadt/german"   "$(stem_of städte german)"
expect_eq "French stems"   "maison/french"  "$(stem_of maisons french)"
expect_eq "Spanish stems"  "ciudad/spanish" "$(stem_of ciudades spanish)"
expect_eq "Russian stems"  "город/russian"  "$(stem_of городах russian)"
expect_eq "English is the default language" "citi/english" \
    "$(q "$WORK/multi.db" "SELECT s.stem || '/' || s.lang FROM types t JOIN stems s ON s.id = t.stem WHERE t.type = 'cities' AND t.lang = ''")"
expect_eq "a document naming the default language stems alike" 1 \
    "$(q "$WORK/multi.db" "SELECT count(DISTINCT t.stem) FROM types t WHERE t.type = 'alliance'")"
# a prefix expands to the database language's words, those of a document
# that names it (en1's "stronger") too, not French "alliances" (fr1)
prefix_docs() { "$OPINE" search "$WORK/multi.db" "$1" --tsv 2>&1 | awk -F'\t' 'NR > 1 { print $3 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "a prefix: a document naming the database's language" "en1" "$(prefix_docs 'strong*')"
expect_eq "a prefix: not another language's words" "en1 xx1" "$(prefix_docs 'allian*')"
expect_eq "stop words by each document's language" "und|german|1
und||0" "$(printf '%s\n' "$(q "$WORK/multi.db" "SELECT type, lang, stopword FROM types WHERE type = 'und'")"; printf '{"id": "en2", "text": "Und so on."}\n' >"$WORK/und.jsonl"; "$OPINE" run "$WORK/multi.db" "$WORK/und.jsonl" -q; q "$WORK/multi.db" "SELECT type, lang, stopword FROM types WHERE type = 'und' AND lang = ''")"
expect_eq "Russian stop words" "в|1" \
    "$(q "$WORK/multi.db" "SELECT type, stopword FROM types WHERE type = 'в' AND lang = 'russian'")"
check_exact "$WORK/multi.db"

run_opine 0 ingest "$WORK/staged.db" "$IN" -q
run_opine 0 tokenize "$WORK/staged.db" -q
run_opine 0 stem "$WORK/staged.db" -q
run_opine 0 run "$WORK/multi2.db" "$IN" -q
same_stats "$WORK/multi2.db" "$WORK/staged.db" "languages: staged = run"

# A German corpus: --lang german makes German the database's language.
printf '{"id": "d1", "text": "Die Städte und die Häuser."}\n' >"$WORK/de.jsonl"
run_opine 0 run "$WORK/de.db" "$WORK/de.jsonl" --lang german -q
expect_eq "--lang german" "german|german|haus stadt" \
    "$(q "$WORK/de.db" "SELECT (SELECT value FROM meta WHERE key = 'language'), (SELECT value FROM meta WHERE key = 'stopwords'), (SELECT group_concat(stem, ' ') FROM (SELECT s.stem FROM terms t JOIN stems s ON s.id = t.stem ORDER BY 1))")"
done_testing
