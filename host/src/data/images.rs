//! Images named by dataset rows, read once when the dataset loads and held as `data:` URLs, so a
//! request sends them without touching the disk and a guest never needs a file system.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The largest image file read (20 MiB, OpenAI's limit per image); a larger one fails the load.
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

/// Turns a row's image references into URLs: `http://`, `https://` and `data:` URLs as they
/// are, anything else as a file path (relative to the dataset's folder) read into a `data:` URL.
/// A file named by several rows is read once and shared.
#[derive(Debug)]
pub struct Images {
    /// The dataset file's folder, against which relative paths are resolved.
    dir: PathBuf,
    read: HashMap<PathBuf, Arc<str>>,
}

impl Images {
    /// Resolves images of the dataset at `dataset` (a file path).
    pub fn beside(dataset: &Path) -> Self {
        let dir = dataset.parent().map(Path::to_path_buf).unwrap_or_default();
        Images { dir, read: HashMap::new() }
    }

    /// The URL of one reference, or why not (one line naming the image, never its bytes).
    pub fn url(&mut self, reference: &str) -> Result<Arc<str>, String> {
        if ["http://", "https://", "data:"].iter().any(|scheme| reference.starts_with(scheme)) {
            return Ok(Arc::from(reference));
        }
        let path = self.dir.join(reference);
        if let Some(url) = self.read.get(&path) {
            return Ok(url.clone());
        }
        let url: Arc<str> =
            Arc::from(data_url(&path).map_err(|why| format!("image {}: {why}", path.display()))?);
        self.read.insert(path, url.clone());
        Ok(url)
    }
}

/// The file at `path` as a `data:` URL.
fn data_url(path: &Path) -> Result<String, String> {
    let mime = mime(path)?;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    // One byte past the limit tells a file that is too large without reading all of it.
    let mut bytes = Vec::new();
    file.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(format!("larger than {} MiB, the most an image may be", MAX_IMAGE_BYTES >> 20));
    }
    Ok(format!("data:{mime};base64,{}", STANDARD.encode(&bytes)))
}

/// The image's media type, from its extension.
fn mime(path: &Path) -> Result<&'static str, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "png" => Ok("image/png"),
        "jpg" | "jpeg" => Ok("image/jpeg"),
        "webp" => Ok("image/webp"),
        "gif" => Ok("image/gif"),
        _ => Err("not a png, jpeg, webp or gif file (by its extension)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_become_data_urls_once_and_urls_pass_through() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("a.PNG"), [0x89, b'P', b'N', b'G']).expect("an image");
        let mut images = Images::beside(&dir.path().join("d.jsonl"));
        let url = images.url("a.PNG").expect("read");
        assert_eq!(&*url, "data:image/png;base64,iVBORw==");
        assert!(Arc::ptr_eq(&url, &images.url("a.PNG").expect("again")), "read once, shared");
        for passed in ["https://example.com/x.jpg", "http://h/y", "data:image/gif;base64,R0lG"] {
            assert_eq!(&*images.url(passed).expect("a URL"), passed);
        }
    }

    #[test]
    fn a_missing_unknown_or_oversized_image_is_one_line_naming_it() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let big = dir.path().join("big.jpg");
        std::fs::File::create(&big).and_then(|f| f.set_len(MAX_IMAGE_BYTES + 1)).expect("a sparse file");
        std::fs::write(dir.path().join("ok.webp"), b"RIFF").expect("an image");
        std::fs::File::create(dir.path().join("exact.gif"))
            .and_then(|f| f.set_len(MAX_IMAGE_BYTES))
            .expect("a sparse file");
        let mut images = Images::beside(&dir.path().join("d.jsonl"));
        let err = images.url("big.jpg").expect_err("too large");
        assert!(
            err.starts_with("image ")
                && err.ends_with("big.jpg: larger than 20 MiB, the most an image may be"),
            "{err}"
        );
        assert!(images.url("exact.gif").is_ok(), "20 MiB exactly is allowed");
        assert!(images.url("missing.png").expect_err("missing").contains("missing.png: cannot read it: "));
        assert!(images.url("notes.txt").expect_err("unknown type").contains("not a png, jpeg, webp or gif"));
        assert!(images.url("ok.webp").expect("webp").starts_with("data:image/webp;base64,"));
    }
}
