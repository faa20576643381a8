# tests/e2e_metadata.sh — metadata clean-up through the real binary: author
# strings become people in doc_authors (the raw string stays in
# documents.author), and dates in the common scraped forms become ISO.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/meta.jsonl" <<'JSONL'
{"id": "m1", "text": "Alliances endure.", "authors": "By Ann Lee and Bo Park", "date": "Fri, 04 Dec 2026 17:56:05 +0000"}
{"id": "m2", "text": "Deterrence works.", "authors": "Ann Lee, Bo Park and Cy Moon", "date": "4 December 2026"}
{"id": "m3", "text": "Trade matters.", "authors": "Dee Roe and Eli Fox, Special to The Times", "date": "12/04/2026"}
{"id": "m4", "text": "Talks help.", "authors": ["Fay Gill", "Gus Hart"], "date": "2026-12-04T23:30:00-05:00"}
{"id": "m5", "text": "Nobody wrote this.", "date": "Published: Dec. 4, 2026"}
{"id": "m6", "text": "Debris only.", "authors": "Story Count, Comment Count", "date": "sometime"}
JSONL

# 1. People, in the order written, with the role given to each.
run_opine 0 ingest "$WORK/m.db" "$WORK/meta.jsonl" -q
expect_eq "people of each document" \
"m1|1|Ann Lee|
m1|2|Bo Park|
m2|1|Ann Lee|
m2|2|Bo Park|
m2|3|Cy Moon|
m3|1|Dee Roe|Special to The Times
m3|2|Eli Fox|Special to The Times
m4|1|Fay Gill|
m4|2|Gus Hart|" \
    "$(q "$WORK/m.db" "SELECT d.ext_id, a.position, a.name, a.role FROM doc_authors a
                        JOIN documents d ON d.id = a.doc ORDER BY d.ext_id, a.position")"
expect_eq "the raw author string is kept" "By Ann Lee and Bo Park|Fay Gill; Gus Hart" \
    "$(q "$WORK/m.db" "SELECT group_concat(author, '|') FROM (SELECT author FROM documents
                        WHERE ext_id IN ('m1', 'm4') ORDER BY ext_id)")"
expect_eq "no people from debris, nor without an author" "0|0" \
    "$(q "$WORK/m.db" "SELECT (SELECT count(*) FROM doc_authors a JOIN documents d ON d.id = a.doc
                               WHERE d.ext_id = 'm6'),
                              (SELECT count(*) FROM doc_authors a JOIN documents d ON d.id = a.doc
                               WHERE d.ext_id = 'm5')")"
expect_eq "documents by author, one join" "m1 m2" \
    "$(q "$WORK/m.db" "SELECT group_concat(ext_id, ' ') FROM (SELECT d.ext_id FROM documents d
                        JOIN doc_authors a ON a.doc = d.id WHERE a.name = 'Bo Park' AND d.ext_id < 'm3'
                        ORDER BY d.ext_id)")"

# 2. Every date form above is 2026-12-04; the unrecognised one stays raw.
expect_eq "dates normalised" "m1 m2 m3 m4 m5" \
    "$(q "$WORK/m.db" "SELECT group_concat(ext_id, ' ') FROM (SELECT ext_id FROM documents
                        WHERE published = '2026-12-04' ORDER BY ext_id)")"
expect_eq "raw date kept where it differs" "Fri, 04 Dec 2026 17:56:05 +0000|sometime" \
    "$(q "$WORK/m.db" "SELECT group_concat(value, '|') FROM (SELECT m.value FROM doc_meta m
                        JOIN documents d ON d.id = m.doc WHERE m.key = 'date_raw'
                        AND d.ext_id IN ('m1', 'm6') ORDER BY d.ext_id)")"

# 3. A copy of a document adds no second list of its people.
run_opine 0 ingest "$WORK/m.db" "$WORK/meta.jsonl" -q
expect_eq "rerun adds no people" 9 "$(q "$WORK/m.db" "SELECT count(*) FROM doc_authors")"
done_testing
