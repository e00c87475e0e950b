//! `oci://` references: `HOST[:PORT]/NAME[:TAG][@sha256:HEX]`. The host is always explicit (no
//! Docker Hub defaulting, as `docker pull ubuntu` does): what is typed is what is fetched.

use std::fmt;

use oci_client::Reference;

use super::OciError;

/// The URL scheme of a scenario in an OCI registry.
pub const SCHEME: &str = "oci://";

/// A parsed reference. With a digest, the digest is what is fetched and the tag only a label
/// (as with `docker pull NAME:TAG@sha256:…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRef {
    /// `HOST` or `HOST:PORT`.
    pub host: String,
    /// The repository, e.g. `team/ttft-probe`.
    pub name: String,
    /// The tag; `latest` when neither a tag nor a digest is given.
    pub tag: Option<String>,
    /// `sha256:HEX`, when pinned.
    pub digest: Option<String>,
}

impl OciRef {
    /// Parses `text`, with or without the `oci://` prefix.
    pub fn parse(text: &str) -> Result<Self, OciError> {
        let bad = |why: &str| OciError::Reference { text: text.to_string(), why: why.to_string() };
        let body = text.strip_prefix(SCHEME).unwrap_or(text);
        let (host, rest) = body.split_once('/').ok_or_else(|| bad("expected HOST[:PORT]/NAME:TAG"))?;
        if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) {
            return Err(bad("the registry host is missing or holds a character a host name cannot"));
        }
        let (name_tag, digest) = match rest.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (rest, None),
        };
        if let Some(d) = digest {
            check_digest(d).map_err(|why| bad(&why))?;
        }
        // A tag follows the last ':' after the last '/' (a port's ':' is in the host, gone already).
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (&name_tag[..last_slash + i], Some(&name_tag[last_slash + i + 1..])),
            None => (name_tag, None),
        };
        if !valid_name(name) {
            return Err(bad(
                "the repository name must be lowercase path components ([a-z0-9] separated by . _ - or /)",
            ));
        }
        if let Some(t) = tag
            && !valid_tag(t)
        {
            return Err(bad("a tag is 1 to 128 of [A-Za-z0-9_.-], not starting with . or -"));
        }
        let tag = match (tag, digest) {
            (None, None) => Some("latest".to_string()),
            (t, _) => t.map(str::to_string),
        };
        Ok(Self { host: host.to_string(), name: name.to_string(), tag, digest: digest.map(str::to_string) })
    }

    /// Whether the reference names content by digest (so a cached copy answers it for good).
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }

    /// `HOST/NAME@DIGEST`: the reference that names exactly the manifest `digest`.
    pub fn pinned(&self, digest: &str) -> String {
        format!("{}/{}@{digest}", self.host, self.name)
    }

    /// The same reference for `oci-client`.
    pub fn to_client(&self) -> Reference {
        let (host, name) = (self.host.clone(), self.name.clone());
        match (&self.tag, &self.digest) {
            (Some(t), Some(d)) => Reference::with_tag_and_digest(host, name, t.clone(), d.clone()),
            (None, Some(d)) => Reference::with_digest(host, name, d.clone()),
            (Some(t), None) => Reference::with_tag(host, name, t.clone()),
            (None, None) => Reference::with_tag(host, name, "latest".into()),
        }
    }
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.name)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `sha256:` and 64 lowercase hex digits, the one digest form this runner writes and accepts.
pub fn check_digest(d: &str) -> Result<(), String> {
    match d.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(())
        }
        _ => Err(format!("{d:?} is not a digest (sha256: and 64 lowercase hex digits)")),
    }
}

/// The distribution spec's repository name: components of `[a-z0-9]+([._-][a-z0-9]+)*` joined by `/`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.split('/').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && part.as_bytes().first().is_some_and(|b| b.is_ascii_alphanumeric())
                && part.as_bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        })
}

/// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !tag.starts_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parses_tags_digests_ports_and_nested_names() {
        let r = OciRef::parse("oci://127.0.0.1:5000/x/ttft-probe:v1").expect("tag");
        assert_eq!(
            (r.host.as_str(), r.name.as_str(), r.tag.as_deref(), r.digest),
            ("127.0.0.1:5000", "x/ttft-probe", Some("v1"), None)
        );
        let r = OciRef::parse(&format!("reg.example/a/b@{D}")).expect("digest");
        assert_eq!((r.tag.as_deref(), r.digest.as_deref()), (None, Some(D)));
        assert!(r.is_pinned());
        assert_eq!(r.pinned(D), format!("reg.example/a/b@{D}"));
        let r = OciRef::parse(&format!("h:5000/n:v2@{D}")).expect("both");
        assert_eq!((r.tag.as_deref(), r.digest.as_deref()), (Some("v2"), Some(D)));
        assert_eq!(r.to_string(), format!("h:5000/n:v2@{D}"));
        assert_eq!(OciRef::parse("h/n").expect("bare").tag.as_deref(), Some("latest"));
    }

    #[test]
    fn refuses_what_is_not_a_reference_with_the_reason() {
        for (text, why) in [
            ("no-slash", "HOST[:PORT]/NAME"),
            ("/name:v1", "host"),
            ("h/Upper:v1", "lowercase"),
            ("h/n:-bad", "tag"),
            ("h/n@sha256:abc", "not a digest"),
            ("h/n@md5:0123", "not a digest"),
            ("h//n:v1", "lowercase"),
        ] {
            let e = OciRef::parse(text).expect_err(text).to_string();
            assert!(e.contains(why) && e.contains(text), "{text}: {e}");
        }
    }
}
