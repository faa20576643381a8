#!/usr/bin/env bash
# bench/boilerplate.sh [OPINE] — boilerplate lines on the ABP corpus
# (../shared/corpora/abp): what is flagged in the ten largest outlets, 50
# flagged lines to read (a fixed pseudo-random sample: ordered by hash),
# what leaving them out does to ABP's counts, and the evidence rows that
# came from them. Runs opine twice, with --boilerplate exclude and count
# (the default is off), into fresh databases; KEEP=DIR keeps them there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OPINE=${1:-$here/../build/opine}
INPUT=${ABP:-$here/../../shared/corpora/abp/articles.jsonl.gz}
[ -x "$OPINE" ] || { echo "no opine binary at $OPINE (run make)" >&2; exit 2; }
[ -f "$INPUT" ] || { echo "no corpus at $INPUT (../shared absent)" >&2; exit 2; }
if [ -n "${KEEP:-}" ]; then
    work=$KEEP
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/opine-boilerplate.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
for mode in exclude count; do
    [ -f "$work/$mode.db" ] ||
        "$OPINE" run "$work/$mode.db" "$INPUT" -q --boilerplate "$mode"
done
ex=$work/exclude.db
ct=$work/count.db
q() { sqlite3 -batch -header -column "$@"; }

echo "== flagged lines (in at least $(sqlite3 "$ex" "SELECT value FROM meta WHERE key = 'boilerplate_min_docs'") documents of their outlet)"
q "$ex" "SELECT count(*) AS lines, sum(occurrences) AS occurrences,
                (SELECT count(*) FROM doc_boilerplate) AS documents_left_out_of,
                (SELECT count(DISTINCT outlet) FROM boilerplate_lines) AS outlets
         FROM boilerplate_lines"
echo
echo "== the ten outlets with the most documents"
q "$ex" "WITH o AS (SELECT outlet, count(*) AS documents FROM documents
                   GROUP BY outlet ORDER BY documents DESC LIMIT 10)
         SELECT o.outlet, o.documents, count(b.hash) AS flagged_lines,
                coalesce(sum(b.occurrences), 0) AS occurrences,
                (SELECT count(*) FROM doc_boilerplate x JOIN documents d ON d.id = x.doc
                  WHERE d.outlet = o.outlet) AS documents_left_out_of,
                (SELECT coalesce(sum(x.tokens), 0) FROM doc_boilerplate x
                  JOIN documents d ON d.id = x.doc WHERE d.outlet = o.outlet) AS tokens_left_out
         FROM o LEFT JOIN boilerplate_lines b ON b.outlet = o.outlet
         GROUP BY o.outlet ORDER BY o.documents DESC"
echo
echo "== 50 flagged lines to read (ordered by hash: a fixed sample)"
sqlite3 -batch -noheader -separator ' | ' "$ex" \
    "SELECT printf('%2d', row_number() OVER (ORDER BY hash)), outlet, docs,
            substr(replace(line, char(10), ' '), 1, 110)
     FROM boilerplate_lines ORDER BY hash LIMIT 50"
echo
echo "== what leaving them out does to the counts (exclude against count)"
sqlite3 -batch -header -column "$ex" "ATTACH '$ct' AS c;
    SELECT 'tokens counted' AS what, (SELECT sum(tokens) FROM c.doc_lengths) AS counted,
           (SELECT sum(tokens) FROM main.doc_lengths) AS excluded
    UNION ALL SELECT 'distinct terms', (SELECT count(*) FROM c.terms), (SELECT count(*) FROM main.terms)
    UNION ALL SELECT 'doc_terms rows', (SELECT count(*) FROM c.doc_terms), (SELECT count(*) FROM main.doc_terms)
    UNION ALL SELECT 'evidence rows', (SELECT count(*) FROM c.evidence), (SELECT count(*) FROM main.evidence)
    UNION ALL SELECT 'contributions rows', (SELECT count(*) FROM c.contributions), (SELECT count(*) FROM main.contributions)
    UNION ALL SELECT 'documents with a stance', (SELECT count(DISTINCT doc) FROM c.doc_scores WHERE stance IS NOT NULL),
           (SELECT count(DISTINCT doc) FROM main.doc_scores WHERE stance IS NOT NULL)"
echo
echo "== the terms that lose most (counted in count, excluded in exclude)"
sqlite3 -batch -header -column "$ex" "ATTACH '$ct' AS c;
    SELECT s.surface, ct.cf AS counted, coalesce(t.cf, 0) AS excluded,
           ct.cf - coalesce(t.cf, 0) AS left_out
    FROM c.terms ct JOIN c.stems s ON s.id = ct.stem
    LEFT JOIN main.stems ms ON ms.stem = s.stem AND ms.lang = s.lang
    LEFT JOIN main.terms t ON t.stem = ms.id
    ORDER BY left_out DESC LIMIT 15"
echo
echo "== evidence and contributions (a trained model's features) from flagged lines"
python3 - "$ex" "$ct" <<'PY'
import sqlite3, sys
ex, ct = sys.argv[1], sys.argv[2]
def flagged_spans(db):
    """doc -> [(start, end)] of its lines whose hash is flagged (doc_lines
    format: stages/lines.h)."""
    flagged = {h for (h,) in db.execute("SELECT hash FROM boilerplate_lines")}
    out = {}
    for doc, data in db.execute("SELECT doc, data FROM doc_lines"):
        def varint(i):
            x = s = 0
            while True:
                c = data[i]; i += 1; x |= (c & 0x7f) << s; s += 7
                if not c & 0x80:
                    return x, i
        n, i = varint(0)
        prev = 0
        for _ in range(n):
            h = int.from_bytes(data[i:i + 8], "little", signed=True); i += 8
            gap, i = varint(i); ln, i = varint(i)
            start = prev + gap; prev = start + ln
            if h in flagged:
                out.setdefault(doc, []).append((start, start + ln))
    return out
for name, path in (("count (all lines scored)", ct), ("exclude", ex)):
    db = sqlite3.connect(path)
    spans = flagged_spans(db)
    for table in ("evidence", "contributions"):
        total = inside = 0
        by_outlet = {}
        for doc, s, outlet in db.execute(
                "SELECT e.doc, e.span_start, d.outlet FROM %s e JOIN documents d ON d.id = e.doc" % table):
            total += 1
            if any(a <= s < b for a, b in spans.get(doc, ())):
                # a document of nothing but flagged lines keeps them
                inside += 1
                by_outlet[outlet] = by_outlet.get(outlet, 0) + 1
        top = ", ".join("%s %d" % kv for kv in sorted(by_outlet.items(), key=lambda kv: -kv[1])[:5])
        print("%-26s %-13s rows %7d, in flagged lines %5d%s"
              % (name, table, total, inside, (" (" + top + ")") if top else ""))
PY
