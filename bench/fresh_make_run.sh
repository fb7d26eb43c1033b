#!/usr/bin/env bash
# `make run` from a fresh clone with empty caches, to the first answered prompt (a benchmark, not a test).
#
# Clones the repository, points XDG_CACHE_HOME at an empty directory (no llama.cpp wheel, no
# weights, no saved prompt state) and disables pip's cache, runs `make run` in a 120x40 tmux pane,
# types "What destinations are there?" as soon as the REPL prompt shows, and waits for the answer
# (the table lists Okinawa). Prints seconds from the start for each phase, read from the clone's
# and the cache's file times. Needs tmux and the package registries; takes a few minutes.
#
# Usage: bench/fresh_make_run.sh [REPO]   (default: this checkout; the scratch directory is removed first)
set -euo pipefail

repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
scratch=${TMPDIR:-/tmp}/trip-agent-fresh-run
session=trip-agent-fresh-run
tmux kill-session -t "$session" 2>/dev/null || true
rm -rf "$scratch" && mkdir -p "$scratch/cache"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$start" 'BEGIN { printf "%7.1f s", a - b }'; }
mtime() { stat -c %.Y "$@" 2>/dev/null | sort -n | tail -1; }   # the newest of the files
oldest() { stat -c %.Y "$@" 2>/dev/null | sort -n | head -1; }

start=$(now)
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
git clone -q "$repo" "$scratch/clone"
tmux new-session -d -s "$session" -x 120 -y 40 -c "$scratch/clone" \
    "env XDG_CACHE_HOME=$scratch/cache PIP_NO_CACHE_DIR=1 make run; sleep 3600"
# The REPL's prompt is "> " at the start of a line (capture-pane drops the trailing space).
until tmux capture-pane -p -t "$session" | grep -q '^>$'; do sleep 0.2; done
prompt=$(now)
tmux send-keys -t "$session" "What destinations are there?" Enter
until tmux capture-pane -p -t "$session" | grep -q 'Okinawa'; do sleep 0.2; done
answer=$(now)
tmux kill-session -t "$session"

wheels=$(ls "$scratch"/cache/trip-agent/wheels/*/*.whl)
echo "phase                                                       from start"
echo "venv and the project's dependencies (compile starts)        $(since "$(mtime "$scratch"/clone/.venv/lib/python3*/site-packages/trip_agent-*.dist-info)")"
echo "llama-cpp-python compiled into the wheel cache              $(since "$(mtime "$wheels")")"
echo "weights downloaded, joined, sha256 checked                  $(since "$(mtime "$scratch"/cache/trip-agent/models/*.gguf)")"
echo "prompt state saved by the install's test turn               $(since "$(oldest "$scratch"/cache/trip-agent/kv/*.state)")"
echo "REPL prompt                                                 $(since "$prompt")"
echo "first answer (typed at the prompt, list_destinations)       $(since "$answer")   ($(awk -v a="$answer" -v b="$prompt" 'BEGIN { printf "%.1f", a - b }') s after typing)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
