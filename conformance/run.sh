#!/usr/bin/env bash
# The official MCP conformance suite against trip-server over loopback.
#
#   bash conformance/run.sh
#
# Installs Node 22 and the suite (pinned) once under conformance/.cache, starts trip-server on a
# free 127.0.0.1 port with a throwaway database, runs the scenarios below in their spec revisions,
# and compares every failed check with conformance/baseline.txt. Exits 1 on a failure the baseline
# does not list, or on a baseline entry that no longer fails (so the baseline stays honest).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
SUITE=@modelcontextprotocol/conformance@0.2.0-alpha.12
NODE=node@22.23.3  # the suite needs Node >= 22; the registry ships it as a package
CACHE=$HERE/.cache
SCENARIOS=(
  "2025-11-25 server-initialize"
  "2025-11-25 server-session-lifecycle"
  "2025-11-25 ping"
  "2025-11-25 tools-list"
  "2025-11-25 dns-rebinding-protection"
  "2026-07-28 server-stateless"
  "2026-07-28 http-header-validation"
  "2026-07-28 tools-list"
)

if [[ "$(cat "$CACHE/.installed" 2>/dev/null)" != "$SUITE $NODE" ]]; then
  echo "installing $NODE and $SUITE into $CACHE"
  rm -rf "$CACHE"
  mkdir -p "$CACHE"
  npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "$NODE" "$SUITE" >"$CACHE/install.log" 2>&1 \
    || { cat "$CACHE/install.log"; exit 1; }
  echo "$SUITE $NODE" >"$CACHE/.installed"
fi
export PATH="$CACHE/node_modules/node/bin:$PATH"
node_version=$(node --version)
[[ "$node_version" == v22.* ]] || { echo "expected Node 22 from $CACHE, got $node_version" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
coproc SERVER { exec "$PYTHON" -m mcp_server.cli --port 0 --db "$WORK/conformance.db" 2>"$WORK/server.log"; }
SERVER_PID=$SERVER_PID
if ! read -r -t 30 line <&"${SERVER[0]}" || [[ "$line" != "listening on "* ]]; then
  echo "trip-server did not start:" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi
URL=${line#listening on }
echo "trip-server at $URL; suite $SUITE on Node $node_version"

for entry in "${SCENARIOS[@]}"; do
  read -r version scenario <<<"$entry"
  out="$WORK/results/$version/$scenario"
  mkdir -p "$out"
  # The suite's own exit status only says "something failed"; the baseline decides below.
  "$CACHE/node_modules/.bin/conformance" server --url "$URL" --scenario "$scenario" \
    --spec-version "$version" --output-dir "$out" >"$out/log.txt" 2>&1 || true
done

"$PYTHON" - "$WORK/results" "$HERE/baseline.txt" <<'PY'
"""Compare failed checks with the baseline: `REVISION SCENARIO:CHECK-ID  reason` per line."""
import json
import sys
from pathlib import Path

results, baseline_file = Path(sys.argv[1]), Path(sys.argv[2])
expected = {}
for line in baseline_file.read_text(encoding="utf-8").splitlines():
    if line.strip() and not line.startswith("#"):
        version, check, reason = line.split(maxsplit=2)
        expected[f"{version} {check}"] = reason

failed, missing = set(), []
print(f"\n{'revision':<12}{'scenario':<28}{'passed':>7}{'failed':>7}{'skipped':>8}")
for out in sorted(path for path in results.glob("*/*") if path.is_dir()):
    version, scenario = out.parent.name, out.name
    checks_files = list(out.glob("*/checks.json"))
    if not checks_files:
        missing.append(f"{version} {scenario}")
        print(f"{version:<12}{scenario:<28}  no results:\n{(out / 'log.txt').read_text()[-2000:]}")
        continue
    checks = json.loads(checks_files[0].read_text())
    count = {status: sum(c["status"] == status for c in checks) for status in ("SUCCESS", "FAILURE", "WARNING", "SKIPPED")}
    print(f"{version:<12}{scenario:<28}{count['SUCCESS']:>7}{count['FAILURE'] + count['WARNING']:>7}{count['SKIPPED']:>8}")
    for check in checks:
        if check["status"] in ("FAILURE", "WARNING"):
            key = f"{version} {scenario}:{check['id']}"
            failed.add(key)
            if key not in expected:
                print(f"  unexpected {check['status']}: {key}\n    {check.get('errorMessage', '')}")

unexpected = sorted(failed - set(expected))
stale = sorted(set(expected) - failed)
for key in sorted(failed & set(expected)):
    print(f"  expected failure: {key} ({expected[key]})")
for key in stale:
    print(f"  stale baseline entry (it passes now; remove it): {key}")
ok = not (unexpected or stale or missing)
print(f"\nconformance: {len(failed)} failed check(s), {len(unexpected)} unexpected, {len(stale)} stale, "
      f"{len(missing)} scenario(s) without results: {'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
