#!/usr/bin/env python3
"""The ratio table of one sitting of benches/load.sh: medians of each provider's rounds, ours / peer.

usage: load_report.py OUT_DIR ROUNDS  (reads OUT_DIR/{peer,ours}-N.txt, es256.txt, argon2.txt,
startup.txt, isolation.txt; prints Markdown)
"""
import re
import statistics
import sys
from pathlib import Path

out, rounds = Path(sys.argv[1]), int(sys.argv[2])
# scenario -> ratio target (ours / peer, requests or flows per second), None: reported only
TARGETS = {"discovery": 5, "jwks": 5, "token_cc": 8, "introspect": 5, "userinfo": 5,
           "login_flow": None, "sso_hop": 5, "refresh": None, "mixed": None}


def read(name):
    runs = []
    for r in range(1, rounds + 1):
        path = out / f"{name}-{r}.txt"
        if not path.exists():
            continue
        run = {"scenarios": {}}
        for line in path.read_text().splitlines():
            for key in ("idle_rss_kb", "peak_rss_kb"):
                m = re.search(key + r"=(\d+)", line)
                if m:
                    run[key] = int(m.group(1))
            fields = line.split()
            if not fields or fields[0] not in TARGETS or len(fields) < 5:
                continue
            try:
                rate, p50, p99, errors = float(fields[1]), float(fields[2]), float(fields[3]), int(fields[4])
            except ValueError:
                continue
            cpu = re.search(r"per_cpu_s=(\d+)", line)
            hwm = re.search(r"hwm_kb=(\d+)", line)
            run["scenarios"][fields[0]] = {"rate": rate, "p50": p50, "p99": p99, "errors": errors,
                                           "per_cpu_s": float(cpu.group(1)) if cpu else 0.0,
                                           "hwm_kb": int(hwm.group(1)) if hwm else 0}
        runs.append(run)
    return runs


def median(runs, scenario, key):
    values = [r["scenarios"][scenario][key] for r in runs if scenario in r["scenarios"]]
    return statistics.median(values) if values else 0.0


def text(name):
    path = out / name
    return path.read_text().strip() if path.exists() else ""


peer, ours = read("peer"), read("ours")
es256 = re.search(r"^\S+\s+([\d.]+)", text("es256.txt"), re.M)
es256_rate = float(es256.group(1)) if es256 else 0.0
argon2 = re.search(r"([\d.]+) ms per hash", text("argon2.txt"))
hash_ms = float(argon2.group(1)) if argon2 else 0.0
startup = re.search(r"([\d.]+) ms", text("startup.txt"))
isolation = re.search(r"quiet ([\d.]+) ms.*?([\d.]+) logins/s ([\d.]+) ms: ×([\d.]+)", text("isolation.txt"))

print(f"Rounds: {len(peer)} peer, {len(ours)} ours, alternated; medians. Rates are requests/s "
      "(login_flow, sso_hop: flows/s; mixed: operations/s). CPU = the provider's CPU milliseconds "
      "per request (or flow), all threads.\n")
print("| scenario | peer rate | ours rate | **ratio** | target | peer p50 / p99 ms | ours p50 / p99 ms "
      "| errors peer / ours | peer CPU ms | ours CPU ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s, target in TARGETS.items():
    pr, orate = median(peer, s, "rate"), median(ours, s, "rate")
    ratio = orate / pr if pr else 0.0
    errs = (sum(r["scenarios"].get(s, {}).get("errors", 0) for r in peer),
            sum(r["scenarios"].get(s, {}).get("errors", 0) for r in ours))
    pc, oc = median(peer, s, "per_cpu_s"), median(ours, s, "per_cpu_s")
    verdict = "" if target is None else (f"≥ {target}× " + ("met" if ratio >= target else "**not met**"))
    print(f"| {s} | {pr:.0f} | {orate:.0f} | **{ratio:.2f}×** | {verdict} | "
          f"{median(peer, s, 'p50'):.2f} / {median(peer, s, 'p99'):.2f} | "
          f"{median(ours, s, 'p50'):.2f} / {median(ours, s, 'p99'):.2f} | {errs[0]} / {errs[1]} | "
          f"{1000 / pc if pc else 0:.3f} | {1000 / oc if oc else 0:.3f} |")

hwm = [(s, max((r["scenarios"].get(s, {}).get("hwm_kb", 0) for r in ours), default=0)) for s in TARGETS]
if any(kb for _, kb in hwm):
    print("\nOur peak RSS so far after each scenario, in the order they run (highest of the rounds): "
          + ", ".join(f"{s} {kb / 1024:.0f} MB" for s, kb in hwm if kb) + ".")

print("\n| bound | figure | target | |\n|---|---:|---:|---|")
# The HTTP floor: the same documents from a bare axum server on the same core.
for line in text("floor.txt").splitlines():
    fields = line.split()
    if len(fields) > 1 and fields[0] in ("discovery", "jwks"):
        pr = median(peer, fields[0], "rate")
        floor = float(fields[1])
        print(f"| {fields[0]}: the bare HTTP stack serving the same document on the same core, {floor:.0f}/s "
              f"| {floor / pr if pr else 0:.2f}× the peer | {TARGETS[fields[0]]}× | the most any handler can reach |")
cc = median(ours, "token_cc", "rate")
if es256_rate:
    print(f"| token_cc / raw ES256 signing on the same core ({es256_rate:.0f}/s) | {100 * cc / es256_rate:.0f} % "
          f"| ≥ 40 % | {'met' if cc >= 0.4 * es256_rate else '**not met**'} |")
if hash_ms:
    bound = 1000 / hash_ms
    flows = median(ours, "login_flow", "rate")
    print(f"| login_flow / argon2 bound (1 core ÷ {hash_ms:.2f} ms = {bound:.1f}/s) | {100 * flows / bound:.0f} % "
          f"| ≥ 90 % | {'met' if flows >= 0.9 * bound else '**not met**'} |")
    pc, oc = median(peer, "login_flow", "per_cpu_s"), median(ours, "login_flow", "per_cpu_s")
    if pc and oc:
        outside = 1000 / oc - hash_ms
        peer_ms = 1000 / pc
        print(f"| CPU per login flow outside the hash: ours {outside:.2f} ms, peer {peer_ms:.2f} ms | "
              f"{outside / peer_ms:.2f} | ≤ 0.20 | {'met' if outside <= 0.2 * peer_ms else '**not met**'} |")
peak = max((r.get("peak_rss_kb", 0) for r in ours), default=0)
idle = max((r.get("idle_rss_kb", 0) for r in ours), default=0)
peer_peak = max((r.get("peak_rss_kb", 0) for r in peer), default=0)
print(f"| peak RSS over a whole round (peer: {peer_peak / 1024:.0f} MB) | {peak / 1024:.1f} MB | < 64 MB | "
      f"{'met' if peak and peak < 64 * 1024 else '**not met**'} |")
print(f"| idle RSS after start | {idle / 1024:.1f} MB | < 20 MB | {'met' if idle and idle < 20 * 1024 else '**not met**'} |")
if startup:
    ms = float(startup.group(1))
    print(f"| start-up to a discovery answer (median of 10) | {ms:.0f} ms | < 200 ms | {'met' if ms < 200 else '**not met**'} |")
if isolation:
    q, logins, loaded, factor = map(float, isolation.groups())
    print(f"| token p99 during {logins:.0f} password logins/s (unpinned) vs quiet ({q:.2f} → {loaded:.2f} ms) | "
          f"×{factor:.2f} | ≤ ×2 | {'met' if factor <= 2 else '**not met**'} |")
iso_mem = re.search(r"peak_rss_kb=(\d+)", text("isolation.txt"))
if iso_mem:
    kb = int(iso_mem.group(1))
    print(f"| peak RSS during the login flood (unpinned, both cores hashing) | {kb / 1024:.1f} MB | < 64 MB | "
          f"{'met' if kb < 64 * 1024 else '**not met**'} |")
