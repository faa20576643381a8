#!/bin/sh
# models/labels/train-v4.sh — rebuild the us-rok-alliance v4 (v5 without
# the speaker features; train-v6.sh says how). Usage: train-v4.sh [OPINE]
exec "$(dirname "$0")/train-v6.sh" --v4 "$@"
