#!/bin/sh
# models/labels/train-v7.sh — train us-rok-alliance v7, tried and NOT
# shipped (models/README.md, "Tried after v6"): v6's recipe (train-v6.sh:
# v2's base with the cue phrases of models/train/cues.tsv, less
# cues-dropped.tsv and cues-dropped-v5.tsv; words, word pairs, negated
# words, cues, the quotation mark and the speaker features; evidence only
# from the cues the labels confirm) on the train and dev splits of
# labels.tsv and of round 5's labels-round5.tsv (the test split stays
# unseen), with the texts read from ../shared. It writes the model to OUT
# (default us-rok-alliance-v7.yaml in the current folder).
# Usage: models/labels/train-v7.sh [OPINE [OUT]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
opine=${1:-build/opine}
out=${2:-us-rok-alliance-v7.yaml}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/labels.tsv" "$tmp/all.tsv"
tail -n +2 "$here/labels-round5.tsv" >>"$tmp/all.tsv"
python3 "$here/labels.py" text "$tmp/all.tsv" >"$tmp/labels.jsonl"
cat "$here/../train/cues-dropped.tsv" "$here/../train/cues-dropped-v5.tsv" \
    >"$tmp/drops.tsv"
python3 "$here/../train/merge-cues.py" \
    "$here/../train/us-rok-alliance-v2-base.yaml" \
    "$here/../train/cues.tsv" "$tmp/drops.tsv" >"$tmp/base.yaml"
"$opine" train "$tmp/labels.jsonl" --split train,dev \
    --labels-name "models/labels/labels.tsv + labels-round5.tsv" \
    --base "$tmp/base.yaml" --name us-rok-alliance --version 7 \
    --prune 0.8 -o "$out"
