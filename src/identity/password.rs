//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1: OWASP's parameters, the crate's
//! defaults). Each hash holds one core for ~15 ms and 19 MiB, so it runs on hashing threads of
//! its own (`password_hash_concurrency`: by default one core less than the machine has), at
//! the lowest scheduling priority: a login flood queues, and takes the cores the other requests
//! leave, instead of starving the token endpoint or the memory. The 19 MiB work areas are kept
//! and reused: at most one per hashing slot ever exists, and no hash pays for faulting in fresh
//! pages.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngExt;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

fn failed(e: impl std::fmt::Display) -> PasswordError {
    PasswordError::Hashing(e.to_string())
}

/// Work areas of the default parameters' size, free for the next hash.
#[derive(Debug, Default)]
struct WorkAreas(Mutex<Vec<Vec<Block>>>);

impl WorkAreas {
    fn take(&self, blocks: usize) -> Vec<Block> {
        let kept = if blocks == Params::DEFAULT.block_count() {
            self.0.lock().ok().and_then(|mut free| free.pop())
        } else {
            None
        };
        kept.unwrap_or_else(|| vec![Block::default(); blocks])
    }

    fn give_back(&self, area: Vec<Block>) {
        if area.len() == Params::DEFAULT.block_count()
            && let Ok(mut free) = self.0.lock()
        {
            free.push(area);
        }
    }
}

/// A hash to run, with the slot it holds until it ends.
type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads. They end when the pool (the last sender) is dropped.
#[derive(Debug)]
struct Hashers(Sender<Job>);

impl Hashers {
    fn start(threads: usize) -> Result<Self, PasswordError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("glc-argon2-{n}"))
                .spawn(move || run_jobs(&queue))
                .map_err(failed)?;
        }
        Ok(Hashers(jobs))
    }

    fn submit(&self, job: Job) -> Result<(), PasswordError> {
        self.0.send(job).map_err(failed)
    }
}

fn run_jobs(queue: &Mutex<Receiver<Job>>) {
    // The lowest priority of the normal policy (nice 19): a request waiting for a core gets it
    // first, yet hashes still get a share of a contended core, so logins go on. (SCHED_IDLE
    // measured no better, and could starve them.) Best effort: where the platform refuses,
    // hashes run at the usual priority.
    let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else { return };
        // A job that panics only fails its own caller (its reply is dropped); the thread stays.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[derive(Debug, Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    areas: Arc<WorkAreas>,
    hashers: Arc<Hashers>,
}

/// Verified when the email is unknown, so that an unknown account and a wrong password take
/// the same time: a well-formed hash at the provider's parameters whose password nobody knows
/// (random bytes; and an unknown account is refused whatever it matches). A constant rather
/// than a hash made at start, which cost every start one hash.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$r0dkRBGDmKvuZ3569/QlNQ$WTwgOesQtgnPHAQDBq4EZRHDshzgNJb/ADAErOBolgE";

impl PasswordHasherPool {
    pub fn new(concurrency: usize) -> Result<Self, PasswordError> {
        let slots = concurrency.max(1);
        Ok(Self {
            permits: Arc::new(Semaphore::new(slots)),
            areas: Arc::new(WorkAreas::default()),
            hashers: Arc::new(Hashers::start(slots)?),
        })
    }

    /// Runs `work` on a hashing thread once a slot is free. The slot lives as long as the work,
    /// not as long as the caller: a login abandoned by its client keeps its slot while its
    /// hash runs, and one still waiting for a slot never starts.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&WorkAreas) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let permit = self.permits.clone().acquire_owned().await.map_err(failed)?;
        let areas = self.areas.clone();
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.hashers.submit(Box::new(move || {
            let _permit = permit;
            let _ = reply.send(work(&areas));
        }))?;
        answer.await.map_err(failed)
    }

    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move |areas| hash_with(areas, &password)).await?
    }

    /// Verifies `password` against `stored` (a PHC string), or against the dummy hash when
    /// there is no stored hash, always returning false then.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, PasswordError> {
        let real = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok = self.run(move |areas| verify_with(areas, &password, &phc)).await?;
        Ok(real && ok)
    }
}

fn hash_with(areas: &WorkAreas, password: &str) -> Result<String, PasswordError> {
    let params = Params::DEFAULT;
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt[..]);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let mut area = areas.take(params.block_count());
    let hashed = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        &salt,
        &mut out,
        &mut area,
    );
    areas.give_back(area);
    hashed.map_err(failed)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(failed)?,
        salt: Some(Salt::new(&salt).map_err(failed)?),
        hash: Some(Output::new(&out).map_err(failed)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`, whatever argon2 parameters it was made with.
fn verify_with(areas: &WorkAreas, password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let Ok(version) = Version::try_from(parsed.version.unwrap_or(Version::V0x13.into())) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let mut out = vec![0u8; expected.len()];
    let mut area = areas.take(params.block_count());
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut area,
    );
    areas.give_back(area);
    hashed.is_ok() && bool::from(out.ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let pool = PasswordHasherPool::new(2).unwrap();
        let hash = pool.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(pool.verify("correct horse".into(), Some(hash.clone())).await.unwrap());
        assert!(!pool.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!pool.verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_keeps_its_slot_until_its_hash_ends() {
        // One slot: a login abandoned mid-hash (its client went away) must not let a second
        // hash run beside the first, which would take a second 19 MiB work area.
        let pool = PasswordHasherPool::new(1).unwrap();
        let abandoned = tokio::time::timeout(std::time::Duration::from_millis(1), pool.hash("premier".into())).await;
        assert!(abandoned.is_err(), "the hash outlived the caller's patience");
        pool.hash("second".into()).await.unwrap();
        assert_eq!(pool.areas.0.lock().unwrap().len(), 1, "the two hashes ran one after the other");
    }

    /// This thread's niceness, from `/proc` (field 19 of its `stat`).
    fn niceness_of_this_thread() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let fields = &stat[stat.rfind(')').unwrap() + 2..];
        fields.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[tokio::test]
    async fn hashes_run_on_their_own_threads_below_the_async_workers() {
        let pool = PasswordHasherPool::new(2).unwrap();
        let (name, niceness) =
            pool.run(|_| (std::thread::current().name().map(str::to_owned), niceness_of_this_thread())).await.unwrap();
        assert!(name.unwrap_or_default().starts_with("glc-argon2-"));
        assert!(niceness > niceness_of_this_thread(), "hashing at niceness {niceness}");
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(Params::try_from(&parsed).unwrap().block_count(), Params::DEFAULT.block_count());
        assert_eq!((parsed.salt.unwrap().len(), parsed.hash.unwrap().len()), (16, Params::DEFAULT_OUTPUT_LEN));
        assert!(!verify_with(&WorkAreas::default(), "", DUMMY_HASH));
    }

    #[test]
    fn hashes_are_read_by_the_reference_verifier_and_old_hashes_still_verify() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let areas = WorkAreas::default();
        let ours = hash_with(&areas, "correct horse").unwrap();
        assert!(PasswordVerifier::<str>::verify_password(&Argon2::default(), b"correct horse", &ours).is_ok());
        // A hash made by the crate itself, and one at other parameters (a legacy row), verify
        // here; the default-sized work area is reused, the other one is not kept.
        let reference = PasswordHasher::<PasswordHash>::hash_password(&Argon2::default(), b"battery staple").unwrap();
        assert!(verify_with(&areas, "battery staple", &reference.to_string()));
        assert!(!verify_with(&areas, "battery stapler", &reference.to_string()));
        let legacy = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 3, 1, None).unwrap());
        let legacy = PasswordHasher::<PasswordHash>::hash_password(&legacy, b"vieux mot").unwrap().to_string();
        assert!(verify_with(&areas, "vieux mot", &legacy));
        assert!(!verify_with(&areas, "vieux mot", "$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgaGFzaA"));
        assert_eq!(areas.0.lock().unwrap().len(), 1, "one default-sized area, kept for the next hash");
    }
}
