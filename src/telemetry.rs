//! What the provider counts, exported for Prometheus at `/metrics`. The `metrics` facade is
//! process-wide: every instance in a process shares one registry.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::store::Db;

/// Latency buckets (seconds): from a cached discovery read to an argon2 login under load.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often the recorded latencies are folded into their buckets.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Installs the Prometheus recorder once per process; `None` if another recorder was
/// installed first (metrics are then not exported, nothing else changes).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(&BUCKETS).ok()?;
            let handle = builder.install_recorder().ok()?;
            // The recorder keeps every latency sample until they are folded into the buckets,
            // which only a scrape or an upkeep does: without this, memory would grow with
            // traffic (8 bytes a request) for as long as nobody reads /metrics. Every second:
            // at 80,000 requests/s that is 640 kB at most, folded in well under a millisecond.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("glc-metrics".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_INTERVAL);
                        upkeep.run_upkeep();
                    }
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// The Prometheus text exposition, with the database pool's gauges taken now.
pub fn render(db: &Db) -> String {
    let (size, idle) = db.pool_usage();
    metrics::gauge!("glc_db_pool_connections").set(size as f64);
    metrics::gauge!("glc_db_pool_idle_connections").set(idle as f64);
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

pub fn http_request(route: &str, method: &str, status: u16, seconds: f64) {
    let labels = [("route", route.to_owned()), ("method", method.to_owned()), ("status", status.to_string())];
    metrics::counter!("glc_http_requests_total", &labels).increment(1);
    metrics::histogram!("glc_http_request_duration_seconds", "route" => route.to_owned()).record(seconds);
}

pub fn token_issued(grant_type: &'static str) {
    metrics::counter!("glc_tokens_issued_total", "grant_type" => grant_type).increment(1);
}

pub fn login(method: &'static str, outcome: &'static str) {
    metrics::counter!("glc_logins_total", "method" => method, "outcome" => outcome).increment(1);
}

pub fn consent(decision: &'static str) {
    metrics::counter!("glc_consent_decisions_total", "decision" => decision).increment(1);
}

/// A failure of a backend: `database` or `redis`.
pub fn backend_error(backend: &'static str) {
    metrics::counter!("glc_backend_errors_total", "backend" => backend).increment(1);
}

#[cfg(test)]
mod tests {
    #[test]
    fn latency_samples_are_folded_without_waiting_for_a_scrape() {
        assert!(super::handle().is_some(), "the recorder is installed");
        // The upkeep thread exists beside the recorder (its name, as the kernel shows it; a new
        // thread names itself once it runs, so it may take a moment to show).
        let names = || -> Vec<String> {
            let threads = std::fs::read_dir("/proc/self/task").unwrap();
            threads.filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).ok()).collect()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !names().iter().any(|n| n.trim() == "glc-metrics") && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(names().iter().any(|n| n.trim() == "glc-metrics"), "{:?}", names());
    }
}
