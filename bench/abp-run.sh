#!/usr/bin/env bash
# bench/abp-run.sh [OPINE] [-- OPINE-RUN-OPTIONS...] — time `opine run` on
# the ABP corpus (../shared/corpora/abp) into a fresh database and print
# wall seconds, MB/s of text, tokens/s, peak RSS and rows written, with the
# ratio against reading the same input with zcat (the floor).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OPINE=${1:-$here/../build/opine}
shift || true
[ "${1:-}" = "--" ] && shift
INPUT=${ABP:-$here/../../shared/corpora/abp/articles.jsonl.gz}
[ -x "$OPINE" ] || { echo "no opine binary at $OPINE (run make)" >&2; exit 2; }
[ -f "$INPUT" ] || { echo "no corpus at $INPUT (../shared absent)" >&2; exit 2; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/opine-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The floor: inflating and reading the input once.
$TIME -f '%e %M' -o "$work/zcat.time" sh -c "zcat '$INPUT' >/dev/null"
read -r zsecs _ <"$work/zcat.time"

$TIME -f '%e %U %S %M' -o "$work/run.time" \
    "$OPINE" run "$work/bench.db" "$INPUT" -q "$@"
read -r secs user sys rss_kb <"$work/run.time"

stats=$(sqlite3 -batch -noheader -separator ' ' "$work/bench.db" "
    SELECT (SELECT sum(bytes) FROM documents)
         + (SELECT coalesce(sum(d.bytes), 0) FROM duplicates x
            JOIN documents d ON d.id = x.doc),
           (SELECT sum(tokens) FROM doc_tokens),
           (SELECT count(*) FROM documents),
           (SELECT count(*) FROM doc_terms),
           (SELECT count(*) FROM terms),
           (SELECT count(*) FROM types),
           (SELECT count(*) FROM doc_meta),
           (SELECT count(*) FROM doc_scores) + (SELECT count(*) FROM evidence)")
read -r text_bytes tokens docs dt_rows term_rows type_rows meta_rows score_rows <<<"$stats"
# documents and doc_tokens: one row each per document
rows=$((docs + docs + dt_rows + term_rows + type_rows + meta_rows + score_rows))
db_mb=$(du -m "$work/bench.db" | cut -f1)

awk -v s="$secs" -v u="$user" -v y="$sys" -v r="$rss_kb" -v b="$text_bytes" \
    -v t="$tokens" -v d="$docs" -v dt="$dt_rows" -v rows="$rows" \
    -v z="$zsecs" -v db="$db_mb" -v input="$INPUT" -v args="$*" 'BEGIN {
    printf "input            %s\n", input
    printf "options          %s\n", (args == "" ? "(defaults)" : args)
    printf "documents        %d\n", d
    printf "text             %.1f MB\n", b / 1e6
    printf "wall             %.2f s (user %.2f s, sys %.2f s)\n", s, u, y
    printf "throughput       %.1f MB/s of text\n", b / 1e6 / s
    printf "tokens           %d (%.2f M tokens/s)\n", t, t / 1e6 / s
    printf "peak RSS         %.0f MB\n", r / 1024
    printf "rows written     %d (doc_terms %d, %.2f M rows/s)\n", rows, dt, rows / 1e6 / s
    printf "database         %d MB\n", db
    printf "zcat floor       %.2f s (opine/zcat = %.1fx)\n", z, s / z
}'
