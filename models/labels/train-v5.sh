#!/bin/sh
# models/labels/train-v5.sh — rebuild us-rok-alliance v5: v6 with every
# cue as evidence (train-v6.sh says how). Usage: train-v5.sh [OPINE]
exec "$(dirname "$0")/train-v6.sh" --v5 "$@"
