#!/bin/bash
# tests/fuzz/run.sh BUILD SECONDS [RUNS] [HARNESS...] — run the libFuzzer
# harnesses built in BUILD (cmake -DOPINE_FUZZ=ON; `make fuzz` does both),
# each for SECONDS or RUNS executions, whichever comes first, at the lowest
# CPU priority (nice 19). Each keeps its growing corpus in
# FUZZ_DIR/corpus/NAME (FUZZ_DIR defaults to BUILD/fuzz, outside git),
# starting from tests/fuzz/seeds/NAME; a crash, a leak, a broken check or
# a hang (an input over FUZZ_TIMEOUT seconds, default 25) is saved as
# FUZZ_DIR/crashes/NAME-*. Executions and seconds add up over calls in
# FUZZ_DIR/totals.tsv; at the end a table gives, per harness, this call's
# executions, coverage (libFuzzer's cov and ft), corpus size, the totals
# and the crash files. Exit 1 when any harness found something.
set -uo pipefail
build=${1:?usage: run.sh BUILD SECONDS [RUNS] [HARNESS...]}
seconds=${2:?usage: run.sh BUILD SECONDS [RUNS] [HARNESS...]}
runs=${3:-0}
shift 3 2>/dev/null || shift $#
here=$(cd "$(dirname "$0")" && pwd)
dir=${FUZZ_DIR:-$build/fuzz}
timeout=${FUZZ_TIMEOUT:-25}
mkdir -p "$dir/corpus" "$dir/crashes" "$dir/logs"
totals=$dir/totals.tsv
[ -f "$totals" ] || printf 'harness\tseconds\texecs\n' >"$totals"

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$here"/fuzz_*.c; do
        n=$(basename "$f" .c)
        n=${n#fuzz_}
        [ "$n" = util ] || names+=("$n")
    done
fi

found=0
rows=()
for n in "${names[@]}"; do
    bin=$build/tests/fuzz/fuzz_$n
    [ -x "$bin" ] || { echo "run.sh: no $bin (build with -DOPINE_FUZZ=ON)" >&2; exit 2; }
    mkdir -p "$dir/corpus/$n"
    log=$dir/logs/$n.log
    dict=()
    [ -f "$here/dicts/$n.dict" ] && dict=(-dict="$here/dicts/$n.dict")
    before=$(ls "$dir/crashes" | grep -c "^$n-" || true)
    echo "== fuzz_$n: ${seconds} s$([ "$runs" != 0 ] && echo ", at most $runs runs")" >&2
    start=$(date +%s)
    nice -n 19 "$bin" -max_total_time="$seconds" -runs="${runs/#0/-1}" \
        -timeout="$timeout" -print_final_stats=1 "${dict[@]}" \
        -artifact_prefix="$dir/crashes/$n-" \
        "$dir/corpus/$n" "$here/seeds/$n" >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(ls "$dir/corpus/$n" | wc -l)
    printf '%s\t%s\t%s\n' "$n" "$took" "${execs:-0}" >>"$totals"
    tsec=$(awk -F'\t' -v n="$n" '$1 == n { s += $2 } END { print s + 0 }' "$totals")
    texec=$(awk -F'\t' -v n="$n" '$1 == n { s += $3 } END { print s + 0 }' "$totals")
    after=$(ls "$dir/crashes" | grep -c "^$n-" || true)
    new=$((after - before))
    if [ "$rc" != 0 ] || [ "$new" -gt 0 ]; then
        found=1
        echo "fuzz_$n: exit $rc, $new new file(s) in $dir/crashes; see $log" >&2
        grep -m3 -E 'ERROR|broken|SUMMARY' "$log" >&2
    fi
    rows+=("$(printf '%-10s %12s %6s %7s %7s %10s %14s %7s' "$n" "${execs:-0}" \
        "${cov:-?}" "${ft:-?}" "$corp" "$tsec" "$texec" "$new")")
done
printf '%-10s %12s %6s %7s %7s %10s %14s %7s\n' harness execs cov ft corpus \
    total_s total_execs crashes
printf '%s\n' "${rows[@]}"
exit $found
