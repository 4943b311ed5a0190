//! The soak: the mixed workload at a steady rate for a long time (30 minutes for
//! docs/security.md), residents logging out and in again among the rest. One line a minute —
//! operations, errors, latency percentiles of that minute, the server's resident memory — then
//! the totals and whether memory stayed flat (no leak).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{MIX, Op, Provider, percentile, resident, snippet};

#[derive(Default)]
struct Minute {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
}

/// The server's resident memory (kB), from `/proc`.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `concurrency` residents doing `rate` operations a second in all for `seconds`,
/// watching the memory of process `pid`; prints a line a minute and returns the verdict,
/// "soak ok: …" or "soak FAILED: …".
pub async fn run(provider: &'static Provider, rate: f64, pid: u32) -> String {
    let s = &provider.settings;
    let minutes = (s.seconds / 60.0).ceil().max(1.0) as usize;
    let stats: Arc<Mutex<Vec<Minute>>> = Arc::new(Mutex::new((0..minutes).map(|_| Minute::default()).collect()));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(s.seconds);
    // Each worker takes every `concurrency`-th slot of a clock ticking `rate` times a second.
    let interval = Duration::from_secs_f64(s.concurrency as f64 / rate);
    let workers: Vec<_> = (0..s.concurrency)
        .map(|worker| {
            let stats = stats.clone();
            tokio::spawn(async move {
                let record = |started: Instant, outcome: Result<(), String>| {
                    let minute = (started.duration_since(start).as_secs() / 60) as usize;
                    let mut stats = stats.lock().expect("stats");
                    let Some(m) = stats.get_mut(minute) else { return };
                    match outcome {
                        Ok(()) => m.latencies_ms.push(started.elapsed().as_secs_f64() * 1000.0),
                        Err(e) => {
                            m.errors += 1;
                            m.first_error.get_or_insert(e);
                        }
                    }
                };
                let mut due = start + interval.mul_f64(worker as f64 / s.concurrency as f64);
                let (mut http, mut tokens) = loop {
                    match resident(provider).await {
                        Ok(found) => break found,
                        Err(e) => record(Instant::now(), Err(format!("setup: {e}"))),
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if Instant::now() >= deadline {
                        return;
                    }
                };
                let mut step = worker * 7;
                while due < deadline {
                    tokio::time::sleep_until(due.into()).await;
                    due += interval;
                    // The mixed workload's operations, its password login made a logout and
                    // a new login: every session ends, not only piles up.
                    let op = match MIX[step % MIX.len()] {
                        Op::Login => Op::Logout,
                        op => op,
                    };
                    step += 1;
                    let started = Instant::now();
                    let outcome = match op {
                        Op::Logout | Op::Login => {
                            let out = super::logout(&http, provider, &tokens).await;
                            // A new browser, a new password login (the consent stays).
                            match (out, resident(provider).await) {
                                (Ok(()), Ok((fresh, fresh_tokens))) => {
                                    (http, tokens) = (fresh, fresh_tokens);
                                    Ok(())
                                }
                                (Err(e), _) | (_, Err(e)) => Err(e),
                            }
                        }
                        op => super::signed_in_op(op, &http, provider, &mut tokens).await,
                    };
                    record(started, outcome.map_err(|e| format!("{op:?}: {e}")));
                }
            })
        })
        .collect();

    let mut memory = Vec::new();
    println!(
        "soak: {rate:.0} operations/s by {} residents for {:.0} s; per minute: ops  errors  p50  p99  p99.9 ms  server RSS MB",
        s.concurrency, s.seconds
    );
    for minute in 0..minutes {
        let end = start + Duration::from_secs(60 * (minute as u64 + 1));
        tokio::time::sleep_until(end.min(deadline).into()).await;
        let rss = rss_kb(pid);
        memory.push(rss);
        // Operations still in flight at the minute's end land in it a little later: read it
        // at the next minute's end (or after the workers, for the last).
        if minute > 0 {
            println!("{}", minute_line(&stats, minute - 1, memory[minute - 1]));
        }
    }
    for worker in workers {
        let _ = worker.await;
    }
    println!("{}", minute_line(&stats, minutes - 1, memory[minutes - 1]));

    let stats = stats.lock().expect("stats");
    let operations: usize = stats.iter().map(|m| m.latencies_ms.len()).sum();
    let errors: u64 = stats.iter().map(|m| m.errors).sum();
    let first_error = stats.iter().find_map(|m| m.first_error.clone());
    // Flat: a least-squares line through the server's RSS over the run's second half (in a
    // run of ten minutes or more, past every short-lived entry's lifetime, the longest being
    // five minutes, and the caches' filling) rises less than 0.1 MB a minute: 3 MB over half an
    // hour. A peak-to-peak rule
    // called a steady 1 MB a minute "flat" over twelve minutes; a slope does not.
    let settled: Vec<(f64, f64)> = memory
        .iter()
        .enumerate()
        .skip(minutes / 2)
        .filter_map(|(minute, kb)| kb.map(|kb| (minute as f64, kb as f64 / 1024.0)))
        .collect();
    let slope = slope_per_minute(&settled);
    let flat = settled.len() >= 3 && slope.is_some_and(|s| s < MAX_SLOPE_MB_PER_MINUTE);
    let first = memory.iter().flatten().next().copied().unwrap_or(0) as f64 / 1024.0;
    let peak = memory.iter().flatten().max().copied().unwrap_or(0) as f64 / 1024.0;
    let verdict = if errors == 0 && flat { "soak ok" } else { "soak FAILED" };
    format!(
        "{verdict}: {operations} operations, {errors} errors{}; RSS {first:.1} MB after the first minute, \
         {peak:.1} MB at most, {} MB/min over the second half: {}",
        first_error.map(|e| format!(" (first: {})", snippet(&e))).unwrap_or_default(),
        slope.map_or("?".to_owned(), |s| format!("{s:+.3}")),
        if flat {
            "flat"
        } else if settled.len() < 3 {
            "too short to tell (5 minutes at least)"
        } else {
            "growing"
        }
    )
}

/// The most memory may grow over the second half and still count as flat.
const MAX_SLOPE_MB_PER_MINUTE: f64 = 0.1;

/// The slope of the least-squares line through `points` (x in minutes, y in MB).
fn slope_per_minute(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    let (mean_x, mean_y) = points.iter().fold((0.0, 0.0), |(x, y), p| (x + p.0 / n, y + p.1 / n));
    let (covariance, variance) =
        points.iter().fold((0.0, 0.0), |(c, v), p| (c + (p.0 - mean_x) * (p.1 - mean_y), v + (p.0 - mean_x).powi(2)));
    (variance > 0.0).then(|| covariance / variance)
}

fn minute_line(stats: &Mutex<Vec<Minute>>, minute: usize, rss: Option<u64>) -> String {
    let mut stats = stats.lock().expect("stats");
    let m = &mut stats[minute];
    m.latencies_ms.sort_by(f64::total_cmp);
    let l = &m.latencies_ms;
    format!(
        "minute {:>3}  {:>8}  {:>6}  {:>7.2}  {:>7.2}  {:>7.2}  {:>7.1}",
        minute + 1,
        l.len(),
        m.errors,
        percentile(l, 0.50),
        percentile(l, 0.99),
        percentile(l, 0.999),
        rss.map_or(f64::NAN, |kb| kb as f64 / 1024.0)
    )
}
