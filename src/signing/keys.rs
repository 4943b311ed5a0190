//! The key set: generated into the keys directory on first start, loaded afterwards.
//!
//! Layout of the keys directory (mode 0700; every secret file mode 0600, gitignored):
//! - `keys.json`: the manifest, `{ "keys": [ { "kid", "alg", "created_at", "activates_at" } ] }`;
//! - `<kid>.pem`: each private key (PKCS#8 PEM);
//! - `pairwise.secret`: the secret mixed into pairwise subject identifiers.
//!
//! Every key of the manifest is published in the JWKS; of an algorithm's keys, the most recently
//! *activated* one signs. Encryption keys (`use: enc`) receive what upstream providers encrypt
//! to us (FranceConnect+ ID tokens and userinfo): each decrypts what was sent to its `kid`. A rotation publishes the new key ahead of its activation (longer than
//! clients cache the JWKS), so no client meets a token signed by a key it has not seen, and the
//! old key stays published so tokens it signed keep validating.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwe::{ECDH_ES, JweDecrypter, RSA_OAEP_256};
use josekit::jwk::Jwk;
use josekit::jwk::KeyPair;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::alg::ed::EdCurve;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::{ES256, EdDSA, JwsSigner, JwsVerifier, RS256};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The asymmetric JWS algorithms this provider signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    ES256,
    EdDSA,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    pub fn parse(value: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|alg| alg.as_str() == value)
    }
}

/// The JWE key-management algorithms our encryption keys receive with (what FranceConnect+
/// offers besides RSA-OAEP, whose SHA-1 padding we do not take).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EncryptionAlg {
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
    #[serde(rename = "ECDH-ES")]
    EcdhEs,
}

impl EncryptionAlg {
    pub const ALL: [EncryptionAlg; 2] = [EncryptionAlg::RsaOaep256, EncryptionAlg::EcdhEs];

    pub fn as_str(self) -> &'static str {
        match self {
            EncryptionAlg::RsaOaep256 => "RSA-OAEP-256",
            EncryptionAlg::EcdhEs => "ECDH-ES",
        }
    }
}

/// What a key of the manifest is for: signing with a JWS algorithm, or receiving with a JWE one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyAlg {
    Signing(SigningAlg),
    Encryption(EncryptionAlg),
}

impl KeyAlg {
    pub fn all() -> impl Iterator<Item = KeyAlg> {
        SigningAlg::ALL.into_iter().map(KeyAlg::Signing).chain(EncryptionAlg::ALL.into_iter().map(KeyAlg::Encryption))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Signing(alg) => alg.as_str(),
            KeyAlg::Encryption(alg) => alg.as_str(),
        }
    }

    pub fn parse(value: &str) -> Option<KeyAlg> {
        KeyAlg::all().find(|alg| alg.as_str() == value)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("keys directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("key {kid}: {reason}")]
    Invalid { kid: String, reason: String },
    #[error("keys manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("private key file {path} can be read by other users (mode {mode:o}): run chmod 600 on it")]
    Exposed { path: PathBuf, mode: u32 },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_owned(), source }
}

/// How long clients may cache the JWKS (the `max-age` it is served with).
pub const JWKS_CACHE_SECONDS: i64 = 300;

/// How long a replaced key stays published: until every token it signed has expired and every
/// cached JWKS has been refetched.
pub fn retired_key_grace(lifetimes: &crate::config::Lifetimes) -> i64 {
    lifetimes.access_token.max(lifetimes.id_token) + JWKS_CACHE_SECONDS
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub kid: String,
    pub alg: KeyAlg,
    pub created_at: i64,
    /// When the key starts signing; absent means at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activates_at: Option<i64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    keys: Vec<ManifestEntry>,
}

/// One loaded key: what signs, what verifies, and its public JWK.
pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub created_at: i64,
    pub activates_at: i64,
    pub(super) signer: Box<dyn JwsSigner>,
    pub(super) verifier: Box<dyn JwsVerifier>,
    public_jwk: Map<String, Value>,
}

impl std::fmt::Debug for SigningKey {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("alg", &self.alg).finish()
    }
}

/// An encryption key of ours: what was encrypted to its `kid` opens with it.
pub struct DecryptionKey {
    pub kid: String,
    pub alg: EncryptionAlg,
    pub(super) decrypter: Box<dyn JweDecrypter>,
}

impl std::fmt::Debug for DecryptionKey {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptionKey").field("kid", &self.kid).field("alg", &self.alg).finish()
    }
}

/// Every key of the manifest, loaded once at start and shared read-only.
pub struct KeySet {
    keys: Vec<SigningKey>,
    decryption_keys: Vec<DecryptionKey>,
    /// The time the set was loaded for: which keys sign depends on it.
    loaded_at: i64,
    /// Shared, not copied, by every answer of the jwks endpoint.
    jwks_json: bytes::Bytes,
    pairwise_secret: Vec<u8>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet").field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl KeySet {
    /// Loads the key set from `dir`, first generating one key per algorithm (signing and
    /// encryption) and the pairwise secret if the directory holds none.
    pub fn load_or_generate(dir: &Path, now: i64) -> Result<KeySet, KeyError> {
        ensure_dir(dir)?;
        // Instances starting together on one directory must not both generate: the second
        // waits, then finds the first one's keys.
        let _lock = lock_dir(dir)?;
        let mut manifest = read_manifest(dir)?;
        let mut changed = false;
        for alg in KeyAlg::all() {
            if !manifest.keys.iter().any(|k| k.alg == alg) {
                manifest.keys.push(generate_key(dir, alg, now)?);
                changed = true;
            }
        }
        if changed {
            write_manifest(dir, &manifest)?;
        }
        let secret_path = dir.join("pairwise.secret");
        if !secret_path.exists() {
            let secret: [u8; 32] = rand::random();
            write_secret_file(&secret_path, URL_SAFE_NO_PAD.encode(secret).as_bytes())?;
        }
        let pairwise_secret = String::from_utf8_lossy(&read_private(&secret_path)?).into_owned();
        let pairwise_secret = URL_SAFE_NO_PAD
            .decode(pairwise_secret.trim())
            .map_err(|e| KeyError::Invalid { kid: "pairwise.secret".into(), reason: e.to_string() })?;
        let mut keys = Vec::new();
        let mut decryption_keys = Vec::new();
        let mut published = Vec::new();
        for entry in &manifest.keys {
            match entry.alg {
                KeyAlg::Signing(alg) => {
                    let key = load_key(dir, entry, alg)?;
                    published.push(key.public_jwk.clone());
                    keys.push(key);
                }
                KeyAlg::Encryption(alg) => {
                    let (key, public) = load_decryption_key(dir, entry, alg)?;
                    published.push(public);
                    decryption_keys.push(key);
                }
            }
        }
        let jwks = serde_json::json!({ "keys": published });
        Ok(KeySet { keys, decryption_keys, loaded_at: now, jwks_json: jwks.to_string().into(), pairwise_secret })
    }

    /// Adds a new key for each of `algs` to the directory's manifest, signing from
    /// `activates_at`; running servers publish it as soon as they reload. Returns the new entries.
    /// A new encryption key is in use as soon as it is published: senders pick it from the JWKS,
    /// and the older one still opens what they encrypted to it.
    pub fn rotate(dir: &Path, algs: &[KeyAlg], now: i64, activates_at: i64) -> Result<Vec<ManifestEntry>, KeyError> {
        ensure_dir(dir)?;
        let _lock = lock_dir(dir)?;
        let mut manifest = read_manifest(dir)?;
        let mut added = Vec::new();
        for alg in algs {
            let mut entry = generate_key(dir, *alg, now)?;
            let activates_at = if matches!(alg, KeyAlg::Encryption(_)) { now } else { activates_at.max(now) };
            entry.activates_at = Some(activates_at);
            manifest.keys.push(entry.clone());
            added.push(entry);
        }
        write_manifest(dir, &manifest)?;
        Ok(added)
    }

    /// Removes the keys that stopped signing (a newer key of their algorithm activated) at least
    /// `keep_for` seconds ago: every token they signed has expired by then. The key that signs
    /// never goes. Running servers stop publishing them when they reload. Returns the removed.
    pub fn prune(dir: &Path, now: i64, keep_for: i64) -> Result<Vec<ManifestEntry>, KeyError> {
        ensure_dir(dir)?;
        let _lock = lock_dir(dir)?;
        let mut manifest = read_manifest(dir)?;
        let activation = |k: &ManifestEntry| k.activates_at.unwrap_or(k.created_at);
        // The order `active` picks the signing key in: activation, then creation, then the
        // manifest's order (two keys made in the same second).
        let rank = |i: usize, k: &ManifestEntry| (activation(k), k.created_at, i);
        let superseded_at = |i: usize, key: &ManifestEntry| {
            manifest
                .keys
                .iter()
                .enumerate()
                .filter(|(j, k)| k.alg == key.alg && rank(*j, k) > rank(i, key) && activation(k) <= now)
                .map(|(_, k)| activation(k))
                .min()
        };
        let superseded: Vec<bool> = manifest
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| superseded_at(i, k).is_some_and(|t| t + keep_for <= now))
            .collect();
        let (mut removed, mut kept) = (Vec::new(), Vec::new());
        for (key, gone) in manifest.keys.iter().cloned().zip(superseded) {
            if gone { removed.push(key) } else { kept.push(key) }
        }
        if removed.is_empty() {
            return Ok(removed);
        }
        manifest.keys = kept;
        write_manifest(dir, &manifest)?;
        for key in &removed {
            let path = dir.join(format!("{}.pem", key.kid));
            fs::remove_file(&path).map_err(io_err(&path))?;
        }
        Ok(removed)
    }

    /// The manifest of `dir`, without loading private keys.
    pub fn list(dir: &Path) -> Result<Vec<ManifestEntry>, KeyError> {
        Ok(read_manifest(dir)?.keys)
    }

    /// The key that signs with `alg`: the most recently activated one (or, if every key of
    /// the algorithm is still pending, the first to activate).
    pub fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        let of_alg = || self.keys.iter().filter(move |k| k.alg == alg);
        of_alg()
            .filter(|k| k.activates_at <= self.loaded_at)
            .max_by_key(|k| (k.activates_at, k.created_at))
            .or_else(|| of_alg().min_by_key(|k| k.activates_at))
    }

    /// The next time a published key starts signing, if one is pending.
    pub fn next_activation(&self) -> Option<i64> {
        self.keys.iter().map(|k| k.activates_at).filter(|t| *t > self.loaded_at).min()
    }

    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The JWKS document (public keys only), serialised once.
    pub fn jwks_json(&self) -> &str {
        // Made from a String at load.
        std::str::from_utf8(&self.jwks_json).unwrap_or_default()
    }

    /// The public JWK set, ready to send.
    pub fn jwks_bytes(&self) -> bytes::Bytes {
        self.jwks_json.clone()
    }

    pub fn pairwise_secret(&self) -> &[u8] {
        &self.pairwise_secret
    }

    pub fn entries(&self) -> impl Iterator<Item = &SigningKey> {
        self.keys.iter()
    }

    /// Our encryption keys, newest last.
    pub fn decryption_keys(&self) -> &[DecryptionKey] {
        &self.decryption_keys
    }
}

fn ensure_dir(dir: &Path) -> Result<(), KeyError> {
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
    }
    Ok(())
}

/// An exclusive lock on the keys directory (released when the file is dropped).
fn lock_dir(dir: &Path) -> Result<fs::File, KeyError> {
    let path = dir.join(".lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(io_err(&path))?;
    file.lock().map_err(io_err(&path))?;
    Ok(file)
}

fn read_manifest(dir: &Path) -> Result<Manifest, KeyError> {
    let path = dir.join("keys.json");
    if !path.exists() {
        return Ok(Manifest::default());
    }
    let text = fs::read_to_string(&path).map_err(io_err(&path))?;
    serde_json::from_str(&text).map_err(|e| KeyError::Manifest { path, reason: e.to_string() })
}

/// Written to a temporary file then renamed, so a reader never sees half a manifest.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), KeyError> {
    let path = dir.join("keys.json");
    let tmp = dir.join(format!("keys.json.{}.tmp", std::process::id()));
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| KeyError::Manifest { path: path.clone(), reason: e.to_string() })?;
    fs::write(&tmp, text).map_err(io_err(&tmp))?;
    fs::rename(&tmp, &path).map_err(io_err(&path))
}

/// Reads a private key or secret, refusing one that other users can read or write: a key
/// copied in with the wrong mode is a key already half leaked.
fn read_private(path: &Path) -> Result<Vec<u8>, KeyError> {
    let mode = fs::metadata(path).map_err(io_err(path))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Exposed { path: path.to_owned(), mode });
    }
    fs::read(path).map_err(io_err(path))
}

fn write_secret_file(path: &Path, contents: &[u8]) -> Result<(), KeyError> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io_err(path))?;
    file.write_all(contents).map_err(io_err(path))
}

fn generate_key(dir: &Path, alg: KeyAlg, now: i64) -> Result<ManifestEntry, KeyError> {
    let invalid = |e: josekit::JoseError| KeyError::Invalid { kid: alg.as_str().into(), reason: e.to_string() };
    let pem = match alg {
        KeyAlg::Signing(SigningAlg::RS256) => RS256.generate_key_pair(2048).map_err(invalid)?.to_pem_private_key(),
        KeyAlg::Signing(SigningAlg::ES256) => ES256.generate_key_pair().map_err(invalid)?.to_pem_private_key(),
        KeyAlg::Signing(SigningAlg::EdDSA) => {
            EdDSA.generate_key_pair(EdCurve::Ed25519).map_err(invalid)?.to_pem_private_key()
        }
        KeyAlg::Encryption(EncryptionAlg::RsaOaep256) => {
            RsaKeyPair::generate(2048).map_err(invalid)?.to_pem_private_key()
        }
        KeyAlg::Encryption(EncryptionAlg::EcdhEs) => {
            EcKeyPair::generate(EcCurve::P256).map_err(invalid)?.to_pem_private_key()
        }
    };
    let public = match alg {
        KeyAlg::Signing(alg) => public_jwk(alg, &pem),
        KeyAlg::Encryption(alg) => public_encryption_jwk(alg, &pem),
    }
    .map_err(invalid)?;
    let kid = thumbprint(&public);
    write_secret_file(&dir.join(format!("{kid}.pem")), &pem)?;
    Ok(ManifestEntry { kid, alg, created_at: now, activates_at: None })
}

fn public_jwk(alg: SigningAlg, pem: &[u8]) -> Result<Jwk, josekit::JoseError> {
    Ok(match alg {
        SigningAlg::RS256 => RS256.key_pair_from_pem(pem)?.to_jwk_public_key(),
        SigningAlg::ES256 => ES256.key_pair_from_pem(pem)?.to_jwk_public_key(),
        SigningAlg::EdDSA => EdDSA.key_pair_from_pem(pem)?.to_jwk_public_key(),
    })
}

fn public_encryption_jwk(alg: EncryptionAlg, pem: &[u8]) -> Result<Jwk, josekit::JoseError> {
    Ok(match alg {
        EncryptionAlg::RsaOaep256 => RsaKeyPair::from_pem(pem)?.to_jwk_public_key(),
        EncryptionAlg::EcdhEs => EcKeyPair::from_pem(pem, Some(EcCurve::P256))?.to_jwk_public_key(),
    })
}

/// RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order.
fn thumbprint(jwk: &Jwk) -> String {
    let members: &[&str] = match jwk.key_type() {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        _ => &["crv", "kty", "x"],
    };
    let map: &Map<String, Value> = jwk.as_ref();
    // serde_json's Map is ordered by key, which is the order RFC 7638 asks for.
    let required: Map<String, Value> =
        members.iter().filter_map(|m| map.get(*m).map(|v| ((*m).to_owned(), v.clone()))).collect();
    URL_SAFE_NO_PAD.encode(Sha256::digest(Value::Object(required).to_string().as_bytes()))
}

/// The private key file of `entry`, which must match its `kid`, and its public JWK.
fn read_key(
    dir: &Path,
    entry: &ManifestEntry,
    public: impl FnOnce(&[u8]) -> Result<Jwk, josekit::JoseError>,
) -> Result<(Vec<u8>, Jwk), KeyError> {
    let path = dir.join(format!("{}.pem", entry.kid));
    let pem = read_private(&path)?;
    let jwk = public(&pem).map_err(|e| KeyError::Invalid { kid: entry.kid.clone(), reason: e.to_string() })?;
    if thumbprint(&jwk) != entry.kid {
        return Err(KeyError::Invalid { kid: entry.kid.clone(), reason: "file does not match its kid".into() });
    }
    Ok((pem, jwk))
}

fn load_decryption_key(
    dir: &Path,
    entry: &ManifestEntry,
    alg: EncryptionAlg,
) -> Result<(DecryptionKey, Map<String, Value>), KeyError> {
    let (pem, jwk) = read_key(dir, entry, |pem| public_encryption_jwk(alg, pem))?;
    let invalid = |e: josekit::JoseError| KeyError::Invalid { kid: entry.kid.clone(), reason: e.to_string() };
    let decrypter: Box<dyn JweDecrypter> = match alg {
        EncryptionAlg::RsaOaep256 => Box::new(RSA_OAEP_256.decrypter_from_pem(&pem).map_err(invalid)?),
        EncryptionAlg::EcdhEs => Box::new(ECDH_ES.decrypter_from_pem(&pem).map_err(invalid)?),
    };
    let mut public: Map<String, Value> = jwk.as_ref().clone();
    public.insert("kid".into(), entry.kid.clone().into());
    public.insert("alg".into(), alg.as_str().into());
    public.insert("use".into(), "enc".into());
    Ok((DecryptionKey { kid: entry.kid.clone(), alg, decrypter }, public))
}

fn load_key(dir: &Path, entry: &ManifestEntry, alg: SigningAlg) -> Result<SigningKey, KeyError> {
    let (pem, jwk) = read_key(dir, entry, |pem| public_jwk(alg, pem))?;
    let invalid = |e: josekit::JoseError| KeyError::Invalid { kid: entry.kid.clone(), reason: e.to_string() };
    let (signer, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match alg {
        SigningAlg::RS256 => (
            Box::new(RS256.signer_from_pem(&pem).map_err(invalid)?),
            Box::new(RS256.verifier_from_jwk(&jwk).map_err(invalid)?),
        ),
        SigningAlg::ES256 => (
            Box::new(ES256.signer_from_pem(&pem).map_err(invalid)?),
            Box::new(ES256.verifier_from_jwk(&jwk).map_err(invalid)?),
        ),
        SigningAlg::EdDSA => (
            Box::new(EdDSA.signer_from_pem(&pem).map_err(invalid)?),
            Box::new(EdDSA.verifier_from_jwk(&jwk).map_err(invalid)?),
        ),
    };
    let mut public_jwk: Map<String, Value> = jwk.as_ref().clone();
    public_jwk.insert("kid".into(), entry.kid.clone().into());
    public_jwk.insert("alg".into(), alg.as_str().into());
    public_jwk.insert("use".into(), "sig".into());
    Ok(SigningKey {
        kid: entry.kid.clone(),
        alg,
        created_at: entry.created_at,
        activates_at: entry.activates_at.unwrap_or(entry.created_at),
        signer,
        verifier,
        public_jwk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_generates_one_key_per_algorithm_with_private_files_0600() {
        let dir = tempfile::tempdir().unwrap();
        let set = KeySet::load_or_generate(dir.path(), 100).unwrap();
        for alg in SigningAlg::ALL {
            let key = set.active(alg).unwrap();
            let mode = fs::metadata(dir.path().join(format!("{}.pem", key.kid))).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let jwks: Value = serde_json::from_str(set.jwks_json()).unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 5);
        let encryption: Vec<&str> =
            keys.iter().filter(|k| k["use"] == "enc").map(|k| k["alg"].as_str().unwrap()).collect();
        assert_eq!(encryption, ["RSA-OAEP-256", "ECDH-ES"]);
        assert_eq!(set.decryption_keys().len(), 2);
        for key in keys {
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(key.get(private).is_none(), "private member {private} published");
            }
        }
        // A second start loads the same keys.
        let again = KeySet::load_or_generate(dir.path(), 200).unwrap();
        assert_eq!(again.jwks_json(), set.jwks_json());
        assert_eq!(again.pairwise_secret(), set.pairwise_secret());
    }

    #[test]
    fn a_private_key_or_secret_others_can_read_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let set = KeySet::load_or_generate(dir.path(), 100).unwrap();
        let key = dir.path().join(format!("{}.pem", set.active(SigningAlg::ES256).unwrap().kid));
        for (file, mode) in [(key, 0o644), (dir.path().join("pairwise.secret"), 0o640)] {
            fs::set_permissions(&file, fs::Permissions::from_mode(mode)).unwrap();
            let err = KeySet::load_or_generate(dir.path(), 200).unwrap_err();
            assert!(matches!(&err, KeyError::Exposed { path, .. } if *path == file), "{err}");
            assert!(err.to_string().contains("chmod 600"), "{err}");
            fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(KeySet::load_or_generate(dir.path(), 300).is_ok());
    }

    #[test]
    fn prune_removes_a_superseded_key_only_once_its_tokens_have_expired() {
        let dir = tempfile::tempdir().unwrap();
        let first = KeySet::load_or_generate(dir.path(), 100).unwrap();
        let old = first.active(SigningAlg::ES256).unwrap().kid.clone();
        // Published at 200, signing from 800: the old key signs until 800.
        let new = KeySet::rotate(dir.path(), &[KeyAlg::Signing(SigningAlg::ES256)], 200, 800).unwrap()[0].kid.clone();
        let keep_for = 900;
        assert!(KeySet::prune(dir.path(), 700, keep_for).unwrap().is_empty(), "still signing");
        assert!(KeySet::prune(dir.path(), 800 + keep_for - 1, keep_for).unwrap().is_empty(), "its tokens live");
        let removed = KeySet::prune(dir.path(), 800 + keep_for, keep_for).unwrap();
        assert_eq!(removed.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), [old.as_str()]);
        assert!(!dir.path().join(format!("{old}.pem")).exists());
        let after = KeySet::load_or_generate(dir.path(), 800 + keep_for).unwrap();
        assert!(after.by_kid(&old).is_none() && !after.jwks_json().contains(&old));
        assert_eq!(after.active(SigningAlg::ES256).unwrap().kid, new);
        assert_eq!(after.entries().count(), SigningAlg::ALL.len(), "the other algorithms keep their only key");
        assert_eq!(after.decryption_keys().len(), EncryptionAlg::ALL.len());
        assert!(KeySet::prune(dir.path(), 10_000_000, keep_for).unwrap().is_empty(), "the signing keys never go");
    }

    #[test]
    fn a_key_replaced_in_the_second_it_was_made_is_pruned_like_any_other() {
        let dir = tempfile::tempdir().unwrap();
        let first = KeySet::load_or_generate(dir.path(), 100).unwrap();
        let old = first.active(SigningAlg::ES256).unwrap().kid.clone();
        let new = KeySet::rotate(dir.path(), &[KeyAlg::Signing(SigningAlg::ES256)], 100, 100).unwrap()[0].kid.clone();
        let loaded = KeySet::load_or_generate(dir.path(), 100).unwrap();
        assert_eq!(loaded.active(SigningAlg::ES256).unwrap().kid, new, "the newer signs");
        let removed = KeySet::prune(dir.path(), 100 + 900, 900).unwrap();
        assert_eq!(removed.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), [old.as_str()]);
    }

    #[test]
    fn rotation_publishes_the_new_key_first_then_signs_with_it_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let before = KeySet::load_or_generate(dir.path(), 100).unwrap();
        let old = before.active(SigningAlg::ES256).unwrap().kid.clone();
        let new = KeySet::rotate(dir.path(), &[KeyAlg::Signing(SigningAlg::ES256)], 200, 800).unwrap()[0].kid.clone();
        let published = KeySet::load_or_generate(dir.path(), 300).unwrap();
        assert!(published.jwks_json().contains(&new), "published ahead of use");
        assert_eq!(published.active(SigningAlg::ES256).unwrap().kid, old, "not signing yet");
        assert_eq!(published.next_activation(), Some(800));
        let after = KeySet::load_or_generate(dir.path(), 800).unwrap();
        assert_eq!(after.active(SigningAlg::ES256).unwrap().kid, new);
        assert!(after.jwks_json().contains(&old), "the old key stays published");
        assert_eq!(after.next_activation(), None);
    }
}
