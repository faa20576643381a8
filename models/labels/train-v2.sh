#!/bin/sh
# models/labels/train-v2.sh — rebuild the shipped us-rok-alliance v2 from
# the labels (train and dev splits; the test split stays unseen), with the
# texts read from ../shared. Usage: models/labels/train-v2.sh [OPINE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
opine=${1:-build/opine}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/labels.py" text "$here/labels.tsv" >"$tmp/labels.jsonl"
"$opine" train "$tmp/labels.jsonl" --split train,dev \
    --labels-name models/labels/labels.tsv \
    --base "$here/../train/us-rok-alliance-v2-base.yaml" \
    --name us-rok-alliance --version 2 -o "$here/../us-rok-alliance-v2.yaml"
