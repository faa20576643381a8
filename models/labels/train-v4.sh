#!/bin/sh
# models/labels/train-v4.sh — rebuild the shipped us-rok-alliance v4 from
# the labels (train and dev splits; the test split stays unseen), with the
# texts read from ../shared. The base is v2's (models/train/
# us-rok-alliance-v2-base.yaml) with the cue phrases of models/train/
# cues.tsv added, the three of cues-dropped.tsv left out, and the
# quotation-mark feature (w:"). v3 is the same with those cues and
# without that feature (train-v3.sh, --no-quotes); v2 was v3 without
# cues.tsv (git log for its script). Usage: models/labels/train-v4.sh [OPINE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
opine=${1:-build/opine}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/labels.py" text "$here/labels.tsv" >"$tmp/labels.jsonl"
python3 "$here/../train/merge-cues.py" \
    "$here/../train/us-rok-alliance-v2-base.yaml" \
    "$here/../train/cues.tsv" "$here/../train/cues-dropped.tsv" >"$tmp/base.yaml"
"$opine" train "$tmp/labels.jsonl" --split train,dev \
    --labels-name models/labels/labels.tsv \
    --base "$tmp/base.yaml" \
    --name us-rok-alliance --version 4 --prune 0.8 -o "$here/../us-rok-alliance-v4.yaml"
