#!/bin/sh
# models/labels/train-v6.sh — rebuild the shipped us-rok-alliance v6 from
# the labels (train and dev splits; the test split stays unseen), with the
# texts read from ../shared. The base is v2's (models/train/
# us-rok-alliance-v2-base.yaml) with the cue phrases of models/train/
# cues.tsv added and those of cues-dropped.tsv and (v5) cues-dropped-v5.tsv
# left out; the features
# are v4's (words, word pairs, negated words, cues, the quotation mark w:")
# and the speaker features (s:we, s:we", s:said, s:"; models/
# score_linear.c). v6 is v5's classifier, weight for weight, whose
# evidence rows show only the cues the labels confirm (quiet_positive and
# quiet_negative list the others; opine train --all-cues leaves them out).
# --v5: every cue is evidence, which rebuilds v5 (train-v5.sh). --v4:
# without the speaker features too, which rebuilds v4 (train-v4.sh). v3
# is v4 without w:" (train-v3.sh, --no-quotes); v2 was v3 without cues.tsv
# (git log for its script).
# Usage: models/labels/train-v6.sh [--v5|--v4] [OPINE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
version=6
speaker=
cues=
more_drops="$here/../train/cues-dropped-v5.tsv"
if [ "${1:-}" = --v5 ]; then
    version=5
    cues=--all-cues
    shift
elif [ "${1:-}" = --v4 ]; then
    version=4
    speaker=--no-speaker
    cues=--all-cues
    more_drops=/dev/null
    shift
fi
opine=${1:-build/opine}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/labels.py" text "$here/labels.tsv" >"$tmp/labels.jsonl"
cat "$here/../train/cues-dropped.tsv" "$more_drops" >"$tmp/drops.tsv"
python3 "$here/../train/merge-cues.py" \
    "$here/../train/us-rok-alliance-v2-base.yaml" \
    "$here/../train/cues.tsv" "$tmp/drops.tsv" >"$tmp/base.yaml"
# shellcheck disable=SC2086 # $speaker is one option or none
"$opine" train "$tmp/labels.jsonl" --split train,dev $speaker $cues \
    --labels-name models/labels/labels.tsv \
    --base "$tmp/base.yaml" --name us-rok-alliance --version $version \
    --prune 0.8 -o "$here/../us-rok-alliance-v$version.yaml"
