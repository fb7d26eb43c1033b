#!/usr/bin/env bash
# Install the offline `local` model for a virtualenv: llama-cpp-python, and the weights of
# Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB) assembled once per machine into the user cache
# (~/.cache/trip-agent/models), pinned and checked by sha256 (agent/providers/weights.py); then
# one test turn saves the prompt prefix's KV state, so the first session starts fast.
#
# llama-cpp-python ships only an sdist that compiles llama.cpp. It is built once per machine into a
# wheel cache and installed from there, so another venv or a clean clone installs in seconds.
# Only the libraries Python loads are compiled (about half the CPU time of a default build): not
# the multimodal `mtmd` (vision/audio chat handlers only), and not llama.cpp's `common` (chat
# parsers, HTTP, CLI arguments for its own tools), which llama-cpp-python forces on but never loads.
#
# Usage: scripts/install-local.sh VENV   (the venv must already have trip-agent installed)
set -euo pipefail

venv=${1:?usage: scripts/install-local.sh VENV}
python="$venv/bin/python"
llama_version=0.3.36

# The wheel is compiled for this CPU (-march=native), so the cache is keyed by its features:
# a cache shared with another machine never hands it instructions it lacks.
cpu_key=$({
    uname -sm
    grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || sysctl -n machdep.cpu.brand_string 2>/dev/null || true
} | cksum | cut -d' ' -f1)
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/trip-agent/wheels/llama-cpp-python-$llama_version-$cpu_key"

# The weights download (network and disk) runs while llama.cpp compiles (CPU). It downloads only
# when the cache has no verified copy (under a minute here); one copy on disk.
"$python" -m agent.providers.weights install &
weights_pid=$!
building=""
trap 'kill "$weights_pid" 2>/dev/null || true; [ -z "$building" ] || rm -rf "$building"' EXIT

if ! ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
    echo "install-local: compiling llama-cpp-python $llama_version once (2-10 minutes on 2 cores) into $wheels" >&2
    mkdir -p "$wheels"
    building=$(mktemp -d "$wheels.building.XXXXXX")
    # Run inside llama.cpp's project(): a normal variable there overrides the forced cache entry.
    printf 'set(LLAMA_BUILD_COMMON OFF)\n' >"$building/no-common.cmake"
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(getconf _NPROCESSORS_ONLN)} \
        CMAKE_ARGS="-DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$building/no-common.cmake ${CMAKE_ARGS:-}" \
        "$python" -m pip wheel --quiet --no-deps --wheel-dir "$building" "llama-cpp-python==$llama_version"
    # A rename, so a concurrent install never sees half a wheel.
    mv "$building"/llama_cpp_python-*.whl "$wheels"/
fi

# --only-binary: never fall back to compiling again; numpy, jinja2 and diskcache come from the index.
"$python" -m pip install --quiet --find-links "$wheels" --only-binary llama-cpp-python \
    "llama-cpp-python==$llama_version"
wait "$weights_pid"  # its exit status: a failed download or a hash mismatch stops the install here
# One turn with the default settings evaluates the prompt prefix (system prompt and the bundled
# server's tools, ~1,100 tokens) and saves its KV state in the user cache (~/.cache/trip-agent/kv),
# so the first session's first turn starts from it: ~14 s once here, instead of in that first turn.
# A failure here does not stop the install: the REPL reports the model's error with its fix.
echo "install-local: preparing the local model's prompt cache (once, about 15 seconds)" >&2
if ! warm_log=$("$venv/bin/trip-agent" --model local --message "Hello!" </dev/null 2>&1 >/dev/null); then
    echo "install-local: warning: the local model did not answer a test turn (the REPL will say the same):" >&2
    printf '%s\n' "$warm_log" | tail -5 >&2
fi
