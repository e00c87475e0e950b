//! Registry credentials, as oras and docker find them: `RUNNER_REGISTRY_USERNAME` and
//! `RUNNER_REGISTRY_PASSWORD` from the environment, else the registry's entry in
//! `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`, what `docker login` and
//! `oras login` write) under `auths`, whose `auth` is base64 of `USER:PASSWORD`. Credential
//! helpers (`credsStore`, `credHelpers`) are not run. A password is only ever handed to the
//! client: no message, log line or file of this runner holds it.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;
use oci_client::secrets::RegistryAuth;

use super::OciError;

/// The environment variables that give credentials for every registry.
pub const USERNAME_ENV: &str = "RUNNER_REGISTRY_USERNAME";
pub const PASSWORD_ENV: &str = "RUNNER_REGISTRY_PASSWORD";

/// A user name and password; `Debug` shows the user only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    password: String,
    /// Where they came from, for messages (`$RUNNER_REGISTRY_USERNAME`, `~/.docker/config.json`).
    pub source: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({} from {}, password hidden)", self.username, self.source)
    }
}

impl Credentials {
    /// The client's form.
    pub fn to_auth(&self) -> RegistryAuth {
        RegistryAuth::Basic(self.username.clone(), self.password.clone())
    }
}

/// The credentials for `host` (`HOST` or `HOST:PORT`), or `None` to go anonymously.
pub fn credentials_for(host: &str) -> Result<Option<Credentials>, OciError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (env(USERNAME_ENV), env(PASSWORD_ENV)) {
        (Some(username), Some(password)) => {
            return Ok(Some(Credentials { username, password, source: format!("${USERNAME_ENV}") }));
        }
        (Some(_), None) => {
            return Err(OciError::Credentials(format!("${USERNAME_ENV} is set but ${PASSWORD_ENV} is not")));
        }
        (None, Some(_)) => {
            return Err(OciError::Credentials(format!("${PASSWORD_ENV} is set but ${USERNAME_ENV} is not")));
        }
        (None, None) => {}
    }
    let Some(path) = docker_config_path() else { return Ok(None) };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(OciError::Credentials(format!("cannot read {}: {e}", path.display()))),
    };
    from_docker_config(&text, host, &path.display().to_string())
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// The entry for `host` in a docker config's `auths`. Keys are matched as docker does: the host
/// itself, or a URL whose host part it is (`https://HOST`, `https://HOST/v2/`).
fn from_docker_config(text: &str, host: &str, file: &str) -> Result<Option<Credentials>, OciError> {
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        auths: std::collections::BTreeMap<String, Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        auth: Option<String>,
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        password: Option<String>,
    }
    // The parser's message may quote the file's text, hence none of it here.
    let config: Config = serde_json::from_str(text)
        .map_err(|_| OciError::Credentials(format!("{file} is not a docker config (JSON with `auths`)")))?;
    let key_host = |key: &str| {
        let rest = key.split_once("://").map_or(key, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_string()
    };
    let Some(entry) = config.auths.iter().find(|(k, _)| key_host(k) == host).map(|(_, e)| e) else {
        return Ok(None);
    };
    let source = file.to_string();
    if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(Credentials { username: username.clone(), password: password.clone(), source }));
    }
    let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) else { return Ok(None) };
    let bad =
        || OciError::Credentials(format!("the `auth` of {host} in {file} is not base64 of USER:PASSWORD"));
    let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (username, password) = decoded.split_once(':').ok_or_else(bad)?;
    Ok(Some(Credentials { username: username.into(), password: password.into(), source }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_docker_config_auths_by_host() {
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret:with-colon");
        let text = format!(
            r#"{{"auths": {{"https://reg.example:5000/v2/": {{"auth": "{auth}"}}, "other": {{"auth": "eDp5"}}}}}}"#
        );
        let c = from_docker_config(&text, "reg.example:5000", "cfg").expect("ok").expect("found");
        assert_eq!((c.username.as_str(), c.password.as_str()), ("alice", "s3cret:with-colon"));
        assert!(!format!("{c:?}").contains("s3cret"), "Debug hides the password");
        assert_eq!(
            from_docker_config(&text, "reg.example", "cfg").expect("ok"),
            None,
            "the port is part of the key"
        );
    }

    #[test]
    fn a_bad_entry_is_named_without_its_contents() {
        let text = r#"{"auths": {"h": {"auth": "not base64 s3cret!"}}}"#;
        let e = from_docker_config(text, "h", "cfg").expect_err("bad").to_string();
        assert!(e.contains("not base64") && !e.contains("s3cret"), "{e}");
        let e = from_docker_config("{\"auths\": s3cret", "h", "cfg").expect_err("json").to_string();
        assert!(!e.contains("s3cret"), "{e}");
    }
}
