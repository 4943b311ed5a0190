#!/usr/bin/env bash
# The soak of docs/security.md: our provider (release build, configured as benches/load.sh
# configures it) pinned to CPU 0, the load driver's `soak` on CPU 1: the mixed workload at a
# steady rate, residents logging out and in again, a line a minute (operations, errors, p50 /
# p99 / p99.9, the server's RSS), then `soak ok` only with no error and flat memory.
#
#   benches/soak.sh [SECONDS] [RATE]     # defaults: 1800 s at 200 operations/s, RESIDENTS=32
#
# Writes target/soak/soak.txt. Not a test: never run by CI (it takes half an hour).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/target/soak"
PORT=8092
DURATION="${1:-1800}" RATE="${2:-200}" RESIDENTS="${RESIDENTS:-32}"

cargo build --release --bin glc -q
LOAD=$(cargo bench --bench load --no-run --message-format=json -q \
  | python3 -c 'import json,sys; print([j["executable"] for j in map(json.loads, sys.stdin) if j.get("executable") and j["target"]["name"] == "load"][-1])')
GLC="$ROOT/target/release/glc"
source "$ROOT/benches/site.sh"
glc_site "$OUT/glc" "$PORT"

(RUST_LOG=warn exec taskset -c 0 "$GLC" --config "$OUT/glc/glc.toml" serve) >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/.well-known/openid-configuration" >/dev/null && break; sleep 0.1; done
env "${ours_env[@]}" taskset -c 1 "$LOAD" soak "http://127.0.0.1:$PORT" -c "$RESIDENTS" -r "$RATE" -z "$DURATION" \
  -p "$SERVER_PID" | tee "$OUT/soak.txt"
grep -q '^soak ok' "$OUT/soak.txt"
