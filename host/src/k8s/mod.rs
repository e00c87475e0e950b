//! `runner k8s`: a distributed run as Kubernetes manifests. It owns what goes into the folder it
//! writes (the scenario as a ConfigMap, an Indexed Job of N workers each playing its
//! `--segment`, a results claim, the merge Job, a pod to copy the results out, and `run.sh`),
//! and the checks that keep a bad name, a too-large scenario or an inline secret out of them.
//! It talks to no cluster: `kubectl` does, through `run.sh`.
//!
//! The objects are built as JSON values ([`objects`]) and written as YAML, the form people read
//! and review; `run.sh` is [`script`].

mod objects;
mod script;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What `runner k8s` was asked for, checked by [`generate`].
#[derive(Debug, Clone)]
pub struct K8sSpec {
    /// The run's name: the Job's, and the prefix of every other object's (a DNS-1123 label).
    pub name: String,
    /// Where the scenario comes from.
    pub scenario: ScenarioSource,
    /// How many workers (the Job's completions and parallelism).
    pub workers: u32,
    /// The target's base URL, as `runner play --target` takes it.
    pub target: String,
    /// The container image that holds the `runner` binary.
    pub image: String,
    /// When the workers start.
    pub start: Start,
    /// The claim the results go to; `None`: `NAME-results`, created by `pvc.yaml`.
    pub results_pvc: Option<String>,
    /// The size of the claim `pvc.yaml` asks for.
    pub results_size: String,
    /// The storage class of that claim (the cluster's default when `None`).
    pub storage_class: Option<String>,
    /// Where the API key comes from, if the target needs one.
    pub api_key: Option<SecretKey>,
    /// The environment variable the API key is put in (`runner play --api-key-env`).
    pub api_key_env: String,
    /// CPU and memory each worker requests (Kubernetes quantities).
    pub cpu: String,
    pub memory: String,
    /// How long the workers may take, start delay included: the Job's `activeDeadlineSeconds`
    /// and how long `run.sh` waits.
    pub timeout: Duration,
    /// More `runner play` arguments, given to every worker as they are.
    pub play_args: Vec<String>,
}

/// The scenario: its bytes go into a ConfigMap, or it is already in the image.
#[derive(Debug, Clone)]
pub enum ScenarioSource {
    /// A local `.wasm` file, shipped as a ConfigMap mounted at `/scenario`.
    File { file_name: String, bytes: Vec<u8> },
    /// A path inside the image (for a scenario over the ConfigMap limit).
    InImage(String),
    /// A scenario the image's runner ships (`runner list`), played by name.
    Shipped(String),
}

/// When the workers start (`runner play --start-at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At this instant, whenever the manifests are applied.
    At(SystemTime),
    /// This long after `run.sh` applies the Job; `at` is that instant had it been applied now,
    /// so that `job.yaml` applied by hand soon after is right too.
    Delay { delay: Duration, at: SystemTime },
}

impl Start {
    pub fn at(&self) -> SystemTime {
        match *self {
            Start::At(at) | Start::Delay { at, .. } => at,
        }
    }
}

/// A key of a Kubernetes Secret: `NAME` (key `api-key`) or `NAME/KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKey {
    pub name: String,
    pub key: String,
}

/// The key of the Secret when `--api-key-secret` names none.
pub const DEFAULT_SECRET_KEY: &str = "api-key";

/// What Kubernetes stores in one ConfigMap (data and binaryData together).
pub const CONFIGMAP_LIMIT: usize = 1 << 20;

/// The longest run name: a DNS-1123 label is at most 63 characters and the longest suffix added
/// to it (`-scenario`) is 9.
pub const MAX_NAME: usize = 63 - "-scenario".len();

/// Where the containers see things.
pub const SCENARIO_DIR: &str = "/scenario";
pub const RESULTS_DIR: &str = "/results";
pub const CACHE_DIR: &str = "/cache";

/// The environment variable the Job controller sets to the pod's index; declared again from the
/// downward API so the manifest says where the `$(JOB_COMPLETION_INDEX)` in the arguments comes from.
pub const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// The flags `runner k8s` sets for every worker: one more of them among the play arguments
/// would contradict it (or, for `--force`, let a worker overwrite another run's results).
const OWN_FLAGS: &[&str] = &["--target", "--segment", "--start-at", "--out", "--force", "--api-key-env"];

#[derive(Debug, thiserror::Error)]
pub enum K8sError {
    #[error(
        "the name {0:?} is not a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most {MAX_NAME} characters"
    )]
    BadName(String),
    #[error("cannot make a run name out of {0:?}: give one with --name")]
    NoName(String),
    #[error(
        "{file} is {size} bytes, over the {CONFIGMAP_LIMIT} bytes (1 MiB) a ConfigMap holds: build an image FROM the runner image with the scenario in it (COPY {file} /scenario/) and pass --scenario-in-image /scenario/{file}, or pull it as an OCI artifact"
    )]
    TooLarge { file: String, size: usize },
    #[error("{0:?} cannot be a ConfigMap key (letters, digits, '-', '_', '.'): rename the file")]
    BadFileName(String),
    #[error("--workers must be at least 1")]
    NoWorkers,
    #[error(
        "--workers {0} is more than {MAX_WORKERS}, the most completions an Indexed Job may have with a parallelism this large"
    )]
    TooManyWorkers(u32),
    #[error(
        "--target carries credentials (user:password@): the manifests would hold them; use --api-key-secret"
    )]
    CredentialsInTarget,
    #[error("{flag} is set by runner k8s for every worker; leave it out of the play arguments{hint}")]
    OwnFlag { flag: String, hint: &'static str },
    #[error(
        "the play argument {0:?} would put a credential in job.yaml: put it in a Secret and pass --api-key-secret NAME[/KEY]"
    )]
    InlineSecret(String),
    #[error(
        "--api-key-secret {0:?}: expected NAME or NAME/KEY, NAME a DNS-1123 subdomain and KEY letters, digits, '-', '_', '.'"
    )]
    BadSecret(String),
    #[error(
        "--api-key-env {0:?} is not an environment variable name (letters, digits, '_', not starting with a digit)"
    )]
    BadEnvName(String),
    #[error("{what} {value:?} is not a Kubernetes quantity like {example}")]
    BadQuantity { what: &'static str, value: String, example: &'static str },
    #[error("--results-pvc {0:?} is not a DNS-1123 subdomain (lower-case letters, digits, '-', '.')")]
    BadClaim(String),
    #[error("--scenario-in-image {0:?} must be an absolute path")]
    BadImagePath(String),
    #[error("{0}")]
    Yaml(String),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// Kubernetes caps an Indexed Job's completions at 100,000 when parallelism is over 10,000.
pub const MAX_WORKERS: u32 = 100_000;

/// One generated file: its name in the folder and its text.
#[derive(Debug, Clone)]
pub struct File {
    pub name: &'static str,
    pub text: String,
    /// `run.sh` is executable.
    pub executable: bool,
}

/// Checks `spec` and renders every file, in the order `run.sh` applies them.
pub fn generate(spec: &K8sSpec) -> Result<Vec<File>, K8sError> {
    check(spec)?;
    let header = |what: &str| {
        format!(
            "# {what}\n# Written by `runner k8s` (runner {}) for the run {:?}; run.sh applies it.\n",
            env!("CARGO_PKG_VERSION"),
            spec.name
        )
    };
    let yaml = |what: &str, value: &serde_json::Value| -> Result<String, K8sError> {
        let body = serde_yaml_ng::to_string(value).map_err(|e| K8sError::Yaml(e.to_string()))?;
        Ok(format!("{}{body}", header(what)))
    };
    let mut files = Vec::new();
    if spec.results_pvc.is_none() {
        files.push(File {
            name: "pvc.yaml",
            text: yaml("The claim the workers write their run folders to.", &objects::pvc(spec))?,
            executable: false,
        });
    }
    if let ScenarioSource::File { .. } = spec.scenario {
        files.push(File {
            name: "configmap.yaml",
            text: yaml("The scenario, mounted at /scenario in every worker.", &objects::configmap(spec))?,
            executable: false,
        });
    }
    files.push(File {
        name: "job.yaml",
        text: yaml("The workers: an Indexed Job, one pod per --segment.", &objects::job(spec))?,
        executable: false,
    });
    files.push(File {
        name: "merge-job.yaml",
        text: yaml("Merges the workers' run folders into one.", &objects::merge_job(spec))?,
        executable: false,
    });
    files.push(File {
        name: "fetch-pod.yaml",
        text: yaml("A pod that mounts the results, for kubectl cp.", &objects::fetch_pod(spec))?,
        executable: false,
    });
    files.push(File { name: "run.sh", text: script::run_sh(spec), executable: true });
    Ok(files)
}

/// Writes `files` into `dir` (created if missing; files of the same names are replaced).
pub fn write(dir: &Path, files: &[File]) -> Result<Vec<PathBuf>, K8sError> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| K8sError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(fail(dir))?;
    let mut written = Vec::new();
    for file in files {
        let path = dir.join(file.name);
        std::fs::write(&path, &file.text).map_err(fail(&path))?;
        #[cfg(unix)]
        if file.executable {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(fail(&path))?;
        }
        written.push(path);
    }
    Ok(written)
}

fn check(spec: &K8sSpec) -> Result<(), K8sError> {
    check_name(&spec.name)?;
    match spec.workers {
        0 => return Err(K8sError::NoWorkers),
        n if n > MAX_WORKERS => return Err(K8sError::TooManyWorkers(n)),
        _ => {}
    }
    match &spec.scenario {
        ScenarioSource::File { file_name, bytes } => {
            if !is_config_key(file_name) {
                return Err(K8sError::BadFileName(file_name.clone()));
            }
            if bytes.len() > CONFIGMAP_LIMIT {
                return Err(K8sError::TooLarge { file: file_name.clone(), size: bytes.len() });
            }
        }
        ScenarioSource::InImage(path) if !path.starts_with('/') => {
            return Err(K8sError::BadImagePath(path.clone()));
        }
        ScenarioSource::InImage(_) | ScenarioSource::Shipped(_) => {}
    }
    // The authority is looked at without parsing, so no message quotes what is in it.
    let authority =
        spec.target.split_once("://").map_or(&*spec.target, |(_, rest)| rest).split(['/', '?', '#']).next();
    if authority.is_some_and(|a| a.contains('@')) {
        return Err(K8sError::CredentialsInTarget);
    }
    if let Some(claim) = &spec.results_pvc
        && !is_subdomain(claim)
    {
        return Err(K8sError::BadClaim(claim.clone()));
    }
    if !is_env_name(&spec.api_key_env) {
        return Err(K8sError::BadEnvName(spec.api_key_env.clone()));
    }
    check_quantity("--cpu", &spec.cpu, "500m or 2")?;
    check_quantity("--memory", &spec.memory, "512Mi or 2Gi")?;
    check_quantity("--results-size", &spec.results_size, "1Gi")?;
    check_play_args(&spec.play_args)
}

/// A DNS-1123 label short enough for every object's name to be one.
pub fn check_name(name: &str) -> Result<(), K8sError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok { Ok(()) } else { Err(K8sError::BadName(name.to_string())) }
}

/// The run name made from a scenario's file name (`trace_replay-v2.wasm` → `trace-replay-v2`).
pub fn default_name(scenario: &Path) -> Result<String, K8sError> {
    let stem = scenario.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name: String = stem
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '_' || c == '.' { '-' } else { c })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(MAX_NAME)
        .collect();
    let name = name.trim_end_matches('-').to_string();
    check_name(&name).map(|()| name).map_err(|_| K8sError::NoName(stem))
}

/// `NAME` or `NAME/KEY` (`--api-key-secret`).
pub fn parse_secret(s: &str) -> Result<SecretKey, K8sError> {
    let (name, key) = s.split_once('/').unwrap_or((s, DEFAULT_SECRET_KEY));
    if is_subdomain(name) && is_config_key(key) {
        Ok(SecretKey { name: name.to_string(), key: key.to_string() })
    } else {
        Err(K8sError::BadSecret(s.to_string()))
    }
}

/// The play arguments every worker gets: none of the flags `runner k8s` sets, and no header that
/// would carry a credential into the manifest (those come from a Secret).
fn check_play_args(args: &[String]) -> Result<(), K8sError> {
    let mut header_next = false;
    for arg in args {
        if header_next {
            header_next = false;
            check_header(arg)?;
            continue;
        }
        for flag in OWN_FLAGS {
            if arg == flag || arg.strip_prefix(flag).is_some_and(|rest| rest.starts_with('=')) {
                let hint = match *flag {
                    "--api-key-env" => " (use runner k8s --api-key-env with --api-key-secret)",
                    "--target" => " (use runner k8s --target)",
                    "--start-at" => " (use runner k8s --start-at or --start-delay)",
                    _ => "",
                };
                return Err(K8sError::OwnFlag { flag: flag.to_string(), hint });
            }
        }
        if arg == "--header" || arg == "-H" {
            header_next = true;
        } else if let Some(value) = arg.strip_prefix("--header=").or_else(|| arg.strip_prefix("-H")) {
            check_header(value.strip_prefix('=').unwrap_or(value))?;
        }
    }
    Ok(())
}

/// A header whose name says it carries a credential.
fn check_header(spec: &str) -> Result<(), K8sError> {
    let name = spec.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
    let secret = ["auth", "key", "token", "cookie", "secret", "password"];
    if secret.iter().any(|word| name.contains(word)) {
        // The value is not quoted: it is the secret.
        return Err(K8sError::InlineSecret(format!(
            "--header {}: …",
            spec.split(':').next().unwrap_or_default().trim()
        )));
    }
    Ok(())
}

/// A DNS-1123 label: lower-case alphanumerics and '-', not at either end, at most 63.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 subdomain: labels joined by '.', at most 253 (Secret and claim names).
fn is_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label)
}

/// A ConfigMap or Secret key.
fn is_config_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s != "."
        && s != ".."
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A Kubernetes quantity: a decimal number and an optional suffix.
fn check_quantity(what: &'static str, value: &str, example: &'static str) -> Result<(), K8sError> {
    const SUFFIXES: &[&str] = &["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let number_end = value.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(value.len());
    let (number, suffix) = value.split_at(number_end);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.')
        && number.bytes().any(|b| b != b'0' && b != b'.');
    if number_ok && SUFFIXES.contains(&suffix) {
        Ok(())
    } else {
        Err(K8sError::BadQuantity { what, value: value.to_string(), example })
    }
}

/// A string as Kubernetes passes it through `$(VAR)` expansion unchanged: `$$` is one `$`.
fn literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// The path the workers read the scenario from.
fn scenario_path(spec: &K8sSpec) -> String {
    match &spec.scenario {
        ScenarioSource::File { file_name, .. } => format!("{SCENARIO_DIR}/{file_name}"),
        ScenarioSource::InImage(path) | ScenarioSource::Shipped(path) => path.clone(),
    }
}

/// The folder of worker `index` (a number, or `$(JOB_COMPLETION_INDEX)`), and the merged one.
fn worker_dir(spec: &K8sSpec, index: &str) -> String {
    format!("{RESULTS_DIR}/{}/worker-{index}", spec.name)
}

fn merged_dir(spec: &K8sSpec) -> String {
    format!("{RESULTS_DIR}/{}/merged", spec.name)
}

/// `2026-12-07T18:00:00Z` (a fraction only when there is one), UTC, as `date -u` writes it in
/// `run.sh`.
pub fn rfc3339(at: SystemTime) -> String {
    // Fractions of a second only when there are some: a start given to the millisecond is kept.
    humantime::format_rfc3339(at).to_string()
}
