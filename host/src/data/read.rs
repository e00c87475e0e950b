//! Reading a file the user names (a scenario component, a `--data` dataset, a `--tokenizer`)
//! whole, within a size limit checked before anything is read: a wrong path (a disk image, a
//! multi-gigabyte dump, `/dev/zero`) is then one line naming the limit, instead of the host
//! allocating until the machine swaps or the process is killed.

use std::io::Read;
use std::path::Path;

/// The largest scenario component read: Python components, which carry their interpreter, are
/// ~18 MiB; JavaScript ones ~2 MiB; Rust ones ~100 KiB.
pub const MAX_SCENARIO_BYTES: u64 = 256 << 20;

/// The largest `--data` file read: the usual ShareGPT file (`ShareGPT_V3_unfiltered_cleaned_split.json`)
/// is 642 MiB.
pub const MAX_DATASET_BYTES: u64 = 1 << 30;

/// The largest `--tokenizer` file read: the `tokenizer.json` of current models is up to ~35 MiB.
pub const MAX_TOKENIZER_BYTES: u64 = 128 << 20;

/// Why a file could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("is larger than the {} limit for {what}", size_text(*limit))]
    TooLarge { limit: u64, what: &'static str },
}

/// Reads `path` whole when it holds at most `limit` bytes; `what` names the kind of file in the
/// error (`"a dataset"`).
pub fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path)?;
    let too_large = || ReadError::TooLarge { limit, what };
    // A regular file says its size: refuse it before reading a byte. Pipes and devices say 0,
    // hence the bounded read as well.
    let len = file.metadata()?.len();
    if len > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// `256 MiB`, `1 GiB`: how the limits are written in messages and docs.
fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_within_the_limit_are_read_and_larger_ones_refused_by_their_size() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").expect("writing");
        assert_eq!(read_limited(&path, 5, "a test file").expect("within").as_slice(), b"12345");
        let err = read_limited(&path, 4, "a test file").expect_err("over");
        assert!(matches!(err, ReadError::TooLarge { limit: 4, .. }), "{err:?}");
        assert_eq!(
            ReadError::TooLarge { limit: MAX_DATASET_BYTES, what: "a dataset" }.to_string(),
            "is larger than the 1 GiB limit for a dataset"
        );
        assert_eq!(size_text(MAX_SCENARIO_BYTES), "256 MiB");
    }

    #[test]
    fn a_device_that_never_ends_is_cut_at_the_limit() {
        let err = read_limited(Path::new("/dev/zero"), 1 << 20, "a test file").expect_err("endless");
        assert!(matches!(err, ReadError::TooLarge { .. }), "{err:?}");
    }
}
