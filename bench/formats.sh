#!/usr/bin/env bash
# bench/formats.sh [BUILD] — ABP repacked as other formats gives the same
# doc_terms as the JSON-lines run, and how fast.
#
# Repacks ../shared/corpora/abp/articles.jsonl.gz into a temporary
# directory (TMPDIR, default /tmp) as
#   abp.tar.zst   one text file per article (abp/ID.txt), tar + zstd
#   abp.tar.gz    the same, tar + gzip (zlib inflates it, libarchive reads
#                 the tar)
#   abp.csv       one row per article, every field a column (texts with
#                 paragraph breaks: quoted newlines)
# runs `opine run` on each and on the original (RUNS times, default 3,
# the median reported), checks with SQL that every route's doc_terms
# (by article id and stem text) equal the JSON-lines run's, EXCEPT both
# ways, and prints wall and CPU seconds, MB/s of text, peak RSS and the
# ratios of each route's wall and CPU time to the JSON-lines run's.
#
# Articles are keyed by their ABP id (a text member's id is its path,
# abp/ID.txt) rather than by content hash: a file that starts with a
# byte-order mark loses it (it marks the encoding, it is not text), while
# the same three bytes at the start of a JSON string are a character. Two
# ABP articles start so; the column "texts" counts the documents whose
# stored text differs from the JSON-lines run's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$here/../build}
OPINE=$BUILD/opine
MKARCHIVE=$BUILD/tests/mkarchive
RUNS=${RUNS:-3}
INPUT=${ABP:-$here/../../shared/corpora/abp/articles.jsonl.gz}
[ -x "$OPINE" ] && [ -x "$MKARCHIVE" ] ||
    { echo "no opine or tests/mkarchive in $BUILD (run make)" >&2; exit 2; }
[ -f "$INPUT" ] || { echo "no corpus at $INPUT (../shared absent)" >&2; exit 2; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/opine-formats.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "repacking $INPUT into $work ..."
python3 - "$INPUT" "$work" <<'EOF'
import csv, gzip, json, os, sys
src, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, "abp"))
cols = ["id", "title", "outlet", "source_url", "date", "authors", "topic",
        "url", "text"]
with gzip.open(src, "rt", encoding="utf-8") as f, \
        open(os.path.join(out, "abp.csv"), "w", encoding="utf-8",
             newline="") as c, \
        open(os.path.join(out, "members"), "w", encoding="utf-8") as m:
    w = csv.writer(c, lineterminator="\n")
    w.writerow(cols)
    for line in f:
        r = json.loads(line)
        w.writerow([r.get(k, "") for k in cols])
        name = "abp/%s.txt" % r["id"]
        with open(os.path.join(out, name), "w", encoding="utf-8") as t:
            t.write(r["text"])
        m.write("%s=%s\n" % (name, os.path.join(out, name)))
EOF
"$MKARCHIVE" "$work/abp.tar.zst" tar zstd - <"$work/members"
"$MKARCHIVE" "$work/abp.tar.gz" tar gzip - <"$work/members"
rm -rf "$work/abp" "$work/members"
ls -l "$work" | awk 'NR > 1 { printf "  %-12s %8.1f MB\n", $9, $5 / 1e6 }'

routes="jsonl.gz:$INPUT tar.zst:$work/abp.tar.zst tar.gz:$work/abp.tar.gz csv:$work/abp.csv"
# Routes take turns run by run, so that a machine that slows down or
# speeds up midway weighs on every route alike.
for spec in $routes; do : >"$work/${spec%%:*}.walls"; done
for i in $(seq "$RUNS"); do
    for spec in $routes; do
        name=${spec%%:*}
        file=${spec#*:}
        rm -f "$work/$name.db" "$work/$name.db-wal" "$work/$name.db-shm"
        $TIME -f '%e %U %S %M' -o "$work/$name.time.$i" \
            "$OPINE" run "$work/$name.db" "$file" -q
        cat "$work/$name.time.$i" >>"$work/$name.walls"
    done
done
for spec in $routes; do
    name=${spec%%:*}
    # the median run by wall time
    sort -n "$work/$name.walls" | sed -n "$(((RUNS + 1) / 2))p" >"$work/$name.time"
done

by_text() {
    echo "SELECT replace(replace(d.ext_id, 'abp/', ''), '.txt', ''), st.stem,
                 dt.tf FROM $1.doc_terms dt
          JOIN $1.documents d ON d.id = dt.doc
          JOIN $1.stems st ON st.id = dt.stem"
}
text_mb=$(sqlite3 "$work/jsonl.gz.db" "SELECT (SELECT sum(bytes) FROM documents)
    + (SELECT coalesce(sum(d.bytes), 0) FROM duplicates x
       JOIN documents d ON d.id = x.doc)")
read -r ref_secs ref_user ref_sys _ <"$work/jsonl.gz.time"
printf '\n%-9s %7s %7s %7s %6s %7s %7s %10s %6s %5s\n' route "wall s" "cpu s" "RSS MB" "MB/s" "wall/" "cpu/" "doc_terms" differ texts
for spec in $routes; do
    name=${spec%%:*}
    read -r secs user sys rss <"$work/$name.time"
    rows=$(sqlite3 "$work/$name.db" "SELECT count(*) FROM doc_terms")
    diff=$(sqlite3 "$work/$name.db" "ATTACH '$work/jsonl.gz.db' AS ref;
        SELECT (SELECT count(*) FROM ($(by_text main) EXCEPT $(by_text ref)))
             + (SELECT count(*) FROM ($(by_text ref) EXCEPT $(by_text main)))")
    texts=$(sqlite3 "$work/$name.db" "ATTACH '$work/jsonl.gz.db' AS ref;
        SELECT count(*) FROM documents WHERE hash NOT IN
            (SELECT hash FROM ref.documents)")
    awk -v n="$name" -v s="$secs" -v u="$user" -v y="$sys" -v r="$rss" \
        -v b="$text_mb" -v ref="$ref_secs" -v rc="$ref_user" -v rs="$ref_sys" \
        -v rows="$rows" -v d="$diff" -v t="$texts" 'BEGIN {
        printf "%-9s %7.2f %7.2f %7.0f %6.1f %6.2fx %6.2fx %10d %6s %5s\n",
            n, s, u + y, r / 1024, b / 1e6 / s, s / ref, (u + y) / (rc + rs),
            rows, d, t
    }'
done
printf '\nwall seconds of each run (the table has the median):\n'
for spec in $routes; do
    name=${spec%%:*}
    printf '%-10s %s\n' "$name" "$(cut -d' ' -f1 "$work/$name.walls" | tr '\n' ' ')"
done
