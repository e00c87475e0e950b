//! The local cache of pulled content, by digest: `<cache>/oci/blobs/sha256/<hex>` holds manifests,
//! configs and components alike (content-addressed, as an OCI image layout's `blobs/`). Entries
//! are written whole (a temporary file, synced, renamed) and checked against their name on every
//! read: an entry whose bytes do not hash to its digest is never returned; it is removed, said in
//! one line, and fetched again.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::reference::check_digest;
use crate::data::read::{ReadError, read_limited};

/// `sha256:` and the lowercase hex of the SHA-256 of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in Sha256::digest(bytes) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Blobs by digest under one folder.
#[derive(Debug, Clone)]
pub struct BlobCache {
    root: PathBuf,
}

impl BlobCache {
    /// The cache under `root` (e.g. `~/.cache/runner/oci`); nothing is created until a write.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The file that holds (or would hold) `digest`; `None` for a string that is not a digest,
    /// so no text from a registry becomes a path.
    pub fn path(&self, digest: &str) -> Option<PathBuf> {
        check_digest(digest).ok()?;
        let hex = digest.strip_prefix("sha256:")?;
        Some(self.root.join("blobs").join("sha256").join(hex))
    }

    /// The bytes of `digest`, if cached and intact. At most `limit` bytes are read: a larger
    /// entry cannot be the right one.
    pub fn get(&self, digest: &str, limit: u64) -> Option<Vec<u8>> {
        let path = self.path(digest)?;
        let bytes = match read_limited(&path, limit, "a cached blob") {
            Ok(bytes) => bytes,
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!("the cached blob {} cannot be used ({e}); fetching it again", path.display());
                return None;
            }
        };
        let actual = sha256_digest(&bytes);
        if actual != digest {
            // Never hand out bytes that are not what their name says; the registry has them.
            let removed = match std::fs::remove_file(&path) {
                Ok(()) => "removed".to_string(),
                Err(e) => format!("could not be removed: {e}"),
            };
            tracing::warn!(
                "the cached blob {} does not match its digest (its bytes hash to {actual}): not used, {removed}; fetching it again",
                path.display()
            );
            return None;
        }
        Some(bytes)
    }

    /// Stores `bytes` under `digest` (which the caller has checked they hash to). A cache that
    /// cannot be written costs the next run a download, not this one its scenario: said, not
    /// returned.
    pub fn put(&self, digest: &str, bytes: &[u8]) {
        let Some(path) = self.path(digest) else { return };
        if let Err(e) = write_atomically(&path, bytes) {
            tracing::warn!("cannot cache {digest} at {}: {e}", path.display());
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`, so a
/// reader sees either no entry or a whole one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent folder"))?;
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{:x}.tmp", std::process::id(), rand::random::<u64>()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_digest_and_never_returns_a_damaged_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = BlobCache::new(dir.path().to_path_buf());
        let bytes = b"\0asm component bytes".to_vec();
        let digest = sha256_digest(&bytes);
        assert_eq!(cache.get(&digest, 1 << 20), None);
        cache.put(&digest, &bytes);
        assert_eq!(cache.get(&digest, 1 << 20).as_deref(), Some(bytes.as_slice()));
        // Larger than the caller's bound: not read.
        assert_eq!(cache.get(&digest, 4), None);

        let path = cache.path(&digest).expect("a digest");
        std::fs::write(&path, b"\0asm tampered").expect("tamper");
        assert_eq!(cache.get(&digest, 1 << 20), None, "a tampered entry is refused");
        assert!(!path.exists(), "and removed");
        // No leftovers from the atomic writes.
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("dir")).expect("ls").collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn digests_are_sha256_in_oci_form() {
        // The SHA-256 of the empty string, a known value.
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_non_digest_is_never_a_path() {
        let cache = BlobCache::new(PathBuf::from("/nonexistent"));
        assert_eq!(cache.path("sha256:../../etc/passwd"), None);
        assert_eq!(cache.path("../x"), None);
    }
}
