#!/usr/bin/env bash
# The load benchmark: GrandLyon Connect and the peer (node-oidc-provider, the certified
# reference) side by side, in one sitting, each pinned to CPU 0 with the load tools on CPU 1,
# alternated (peer, ours, peer, ours…), then a table of ratios (ours / peer) from the medians.
#
#   benches/load.sh                      # ROUNDS=3 DURATION=10 CONNECTIONS=32
#   ROUNDS=1 DURATION=5 benches/load.sh  # a quick look
#
# Writes target/load/report.md (the table docs/performance.md quotes) and the raw runs beside it.
# Needs the shared harness (GLC_SHARED_BENCH, default ../shared/bench: bench.sh with wrk, the
# flow driver, the peer), wrk, Node.js, taskset. Not a test: never run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED="${GLC_SHARED_BENCH:-$ROOT/../shared/bench}"
OUT="$ROOT/target/load"
ROUNDS="${ROUNDS:-3}"
export DURATION="${DURATION:-10}" CONNECTIONS="${CONNECTIONS:-32}" WARMUP="${WARMUP:-2}"
OURS_PORT=8090 PEER_PORT=4000
NICE=(); [[ $(id -u) == 0 ]] && NICE=(nice -n -10) && export BENCH_NICE=-10

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
for tool in taskset python3 node npm curl; do command -v $tool >/dev/null || { echo "load.sh: missing $tool" >&2; exit 2; }; done
[[ -f "$SHARED/bench.sh" ]] || { echo "load.sh: no shared harness at $SHARED (set GLC_SHARED_BENCH)" >&2; exit 2; }

echo "# building (release)" >&2
cargo build --release --bin glc -q
LOAD=$(cargo bench --bench load --no-run --message-format=json -q \
  | python3 -c 'import json,sys; print([j["executable"] for j in map(json.loads, sys.stdin) if j.get("executable") and j["target"]["name"] == "load"][-1])')
GLC="$ROOT/target/release/glc"

# The shared harness is read-only: work on a copy (npm ci and the flow driver's build write).
mkdir -p "$OUT"
HARNESS="$OUT/harness"
if [[ ! -x "$HARNESS/bench-driver/target/release/bench-driver" ]]; then
  rm -rf "$HARNESS" && cp -r "$SHARED" "$HARNESS" && chmod -R u+w "$HARNESS"
  (cd "$HARNESS/node-oidc-provider" && npm ci --no-audit --no-fund -s)
  (cd "$HARNESS/bench-driver" && cargo build --release -q)
fi

# ---- our provider, configured like the peer: the same clients, the same resident
SITE="$OUT/glc"
source "$ROOT/benches/site.sh"
glc_site "$SITE" "$OURS_PORT"

# Per provider: the environment bench.sh and the load driver read.
peer_env=(CC_SCOPE=api:read)   # ours_env: set by glc_site

SERVER_PID=""
start() { # start NAME: the provider on CPU 0, waits for its discovery document
  if [[ $1 == peer ]]; then
    (cd "$HARNESS/node-oidc-provider" && PORT=$PEER_PORT exec "${NICE[@]}" taskset -c 0 node server.mjs) >/dev/null 2>&1 &
    BASE=http://127.0.0.1:$PEER_PORT
  else
    (RUST_LOG=warn exec "${NICE[@]}" taskset -c 0 "$GLC" --config "$SITE/glc.toml" serve) >"$OUT/ours-server.log" 2>&1 &
    BASE=http://127.0.0.1:$OURS_PORT
  fi
  SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "$BASE/.well-known/openid-configuration" >/dev/null && return; sleep 0.1; done
  echo "load.sh: $1 did not start" >&2; exit 1
}
stop() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap stop EXIT
rss_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER_PID/status"; }
ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

driver() { # driver MODE: one load-driver scenario on CPU 1, with the server's CPU like bench.sh's
  local t0 t1 w0 w1 line
  t0=$(ticks); w0=$EPOCHREALTIME
  line=$(env "${ENVS[@]}" "${NICE[@]}" taskset -c 1 "$LOAD" "$1" "$BASE" -c "$CONNECTIONS" -z "$DURATION" 2>&1 | tail -n 1)
  t1=$(ticks); w1=$EPOCHREALTIME
  python3 -c '
import sys
line, t0, t1, hz, w0, w1 = sys.argv[1], *map(float, sys.argv[2:])
rate = float(line.split()[1]) if len(line.split()) > 1 else 0
cpu = (t1 - t0) / hz
print(line + " srv_cpu=%.0f%% per_cpu_s=%.0f" % (100 * cpu / (w1 - w0), rate * (w1 - w0) / cpu if cpu else 0))
' "$line" "$t0" "$t1" "$(getconf CLK_TCK)" "$w0" "$w1"
}

sitting() { # sitting NAME ROUND
  local name=$1 file="$OUT/$1-$2.txt"
  if [[ $name == peer ]]; then ENVS=("${peer_env[@]}"); else ENVS=("${ours_env[@]}"); fi
  start "$name"
  sleep 1
  { echo "# $name round $2 pid $SERVER_PID idle_rss_kb=$(rss_kb VmRSS)"
    # One scenario at a time, each line followed by the server's peak RSS so far: which
    # scenario raises the high-water mark shows in the report.
    for scenario in discovery jwks token_cc introspect userinfo login_flow; do
      line=$(env "${ENVS[@]}" SERVER_PID="$SERVER_PID" LOAD_CPUS=1 SCENARIOS=$scenario "$HARNESS/bench.sh" "$BASE" \
        | grep -v '^#\|^scenario')
      echo "$line hwm_kb=$(rss_kb VmHWM)"
    done
    for mode in hop refresh mixed; do echo "$(driver "$mode") hwm_kb=$(rss_kb VmHWM)"; done
    echo "# peak_rss_kb=$(rss_kb VmHWM)"
  } | tee "$file" >&2
  stop
}

echo "# sitting: $ROUNDS rounds, ${DURATION}s × $CONNECTIONS connections per scenario, $(date -u +%FT%TZ)" >&2
for round in $(seq "$ROUNDS"); do
  sitting peer "$round"
  sitting ours "$round"
done

# ---- the HTTP floor: our two static documents served by the bare stack (axum, hyper, tokio),
# on the same core, by the same harness: no handler of ours can go faster than this
FLOOR_PORT=8091
mkdir -p "$SITE/floor"
start ours
curl -fs "$BASE/.well-known/openid-configuration" | sed "s#127.0.0.1:$OURS_PORT/#127.0.0.1:$FLOOR_PORT/#g" > "$SITE/floor/discovery.json"
curl -fs "$BASE/jwks" > "$SITE/floor/jwks.json"
stop
("${NICE[@]}" taskset -c 0 "$LOAD" floor "127.0.0.1:$FLOOR_PORT" "$SITE/floor") >/dev/null 2>&1 &
SERVER_PID=$!; BASE=http://127.0.0.1:$FLOOR_PORT
for _ in $(seq 100); do curl -fs "$BASE/jwks" >/dev/null && break; sleep 0.1; done
SERVER_PID=$SERVER_PID LOAD_CPUS=1 SCENARIOS="discovery jwks" "$HARNESS/bench.sh" "$BASE" | grep -v '^#\|^scenario' \
  | tee "$OUT/floor.txt" >&2
stop

# ---- the bounds, on the same core
taskset -c 0 "$LOAD" es256 -z 5 | tee "$OUT/es256.txt" >&2
taskset -c 0 "$LOAD" argon2 -n 20 | tee "$OUT/argon2.txt" >&2
rm -rf "$SITE/startup" && mkdir -p "$SITE/startup"
sed -e "s#$SITE/glc.db#$SITE/startup/glc.db#" -e "s#$SITE/keys#$SITE/startup/keys#" "$SITE/glc.toml" > "$SITE/startup/glc.toml"
RUST_LOG=warn "$GLC" --config "$SITE/startup/glc.toml" migrate >/dev/null   # first start: keys and schema made once
"$LOAD" startup -n 10 "http://127.0.0.1:$OURS_PORT" -- "$GLC" --config "$SITE/startup/glc.toml" serve | tee "$OUT/startup.txt" >&2

# ---- isolation: unpinned, the token endpoint during a password-login flood
(RUST_LOG=warn exec "$GLC" --config "$SITE/glc.toml" serve) >>"$OUT/ours-server.log" 2>&1 &
SERVER_PID=$!; BASE=http://127.0.0.1:$OURS_PORT
for _ in $(seq 100); do curl -fs "$BASE/.well-known/openid-configuration" >/dev/null && break; sleep 0.1; done
sleep 1; idle=$(rss_kb VmRSS)
env "${ours_env[@]}" "$LOAD" isolation "$BASE" -c "$CONNECTIONS" -z "$DURATION" | tee "$OUT/isolation.txt" >&2
echo "idle_rss_kb=$idle peak_rss_kb=$(rss_kb VmHWM)" >> "$OUT/isolation.txt"
stop

python3 "$ROOT/benches/load_report.py" "$OUT" "$ROUNDS" > "$OUT/report.md"
cat "$OUT/report.md"
