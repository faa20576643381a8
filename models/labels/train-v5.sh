#!/bin/sh
# models/labels/train-v5.sh — rebuild the shipped us-rok-alliance v5 from
# the labels (train and dev splits; the test split stays unseen), with the
# texts read from ../shared. The base is v2's (models/train/
# us-rok-alliance-v2-base.yaml) with the cue phrases of models/train/
# cues.tsv added and those of cues-dropped.tsv and (v5) cues-dropped-v5.tsv
# left out; the features
# are v4's (words, word pairs, negated words, cues, the quotation mark w:")
# and the speaker features (s:we, s:we", s:said, s:"; models/
# score_linear.c). --v4: without the speaker features, which rebuilds v4
# (train-v4.sh). v3 is v4 without w:" (train-v3.sh, --no-quotes); v2 was
# v3 without cues.tsv (git log for its script).
# Usage: models/labels/train-v5.sh [--v4] [OPINE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
version=5
speaker=
more_drops="$here/../train/cues-dropped-v5.tsv"
if [ "${1:-}" = --v4 ]; then
    version=4
    speaker=--no-speaker
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
"$opine" train "$tmp/labels.jsonl" --split train,dev $speaker \
    --labels-name models/labels/labels.tsv \
    --base "$tmp/base.yaml" --name us-rok-alliance --version $version \
    --prune 0.8 -o "$here/../us-rok-alliance-v$version.yaml"
