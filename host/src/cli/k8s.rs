//! `runner k8s`: its flags, turning them into a [`runner::k8s::K8sSpec`], and writing the
//! manifests the library makes. A bad value is a usage error in one line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;
use runner::k8s::{self, K8sSpec, ScenarioSource, Start};

use super::values::{check_target, parse_duration, parse_start_at};

#[derive(Args)]
pub struct K8sArgs {
    /// The scenario component (.wasm), shipped to the workers as a ConfigMap (at most 1 MiB), or
    /// the name of a scenario the image's runner ships (`runner list`), played by name.
    pub scenario: PathBuf,
    /// How many workers: pods of an Indexed Job, worker i playing `--segment i/N`.
    #[arg(long)]
    pub workers: u32,
    /// Base URL of the server under test, as the pods reach it (e.g. http://vllm.default.svc:8000).
    #[arg(long)]
    pub target: String,
    /// The run's name: the Job's, and the prefix of the other objects' (a DNS-1123 label;
    /// default: from the scenario's file name).
    #[arg(long)]
    pub name: Option<String>,
    /// The image with the runner binary (built from the repository's Containerfile).
    #[arg(long, default_value = concat!("runner:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// When the workers start, RFC 3339 as `play --start-at` takes it (2026-12-07T18:00:00Z).
    #[arg(long, value_name = "RFC3339", conflicts_with = "start_delay", value_parser = parse_start_at)]
    pub start_at: Option<SystemTime>,
    /// How long after run.sh applies the Job the workers start (time to schedule the pods and
    /// pull the image).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub start_delay: Duration,
    /// An existing PersistentVolumeClaim for the results (ReadWriteMany); default: NAME-results,
    /// created by pvc.yaml.
    #[arg(long, value_name = "CLAIM")]
    pub results_pvc: Option<String>,
    /// The size pvc.yaml asks for.
    #[arg(long, value_name = "QUANTITY", default_value = "1Gi")]
    pub results_size: String,
    /// The storage class pvc.yaml asks for (one that offers ReadWriteMany; default: the cluster's).
    #[arg(long)]
    pub storage_class: Option<String>,
    /// The Secret holding the target's API key, NAME or NAME/KEY (key `api-key` by default); the
    /// workers get it in --api-key-env. The key never appears in the manifests.
    #[arg(long, value_name = "NAME[/KEY]", value_parser = |s: &str| k8s::parse_secret(s).map_err(|e| e.to_string()))]
    pub api_key_secret: Option<k8s::SecretKey>,
    /// The environment variable the workers read the API key from.
    #[arg(long, value_name = "VAR", default_value = "OPENAI_API_KEY", requires = "api_key_secret")]
    pub api_key_env: String,
    /// The scenario's path inside --image, for a scenario too large for a ConfigMap (no
    /// configmap.yaml is written).
    #[arg(long, value_name = "PATH")]
    pub scenario_in_image: Option<String>,
    /// CPU each worker requests.
    #[arg(long, value_name = "QUANTITY", default_value = "1")]
    pub cpu: String,
    /// Memory each worker requests (and may use).
    #[arg(long, value_name = "QUANTITY", default_value = "1Gi")]
    pub memory: String,
    /// How long the workers may run, start delay included (the Job's deadline, run.sh's wait).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub timeout: Duration,
    /// The folder to write (default: ./NAME-k8s).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// More `runner play` arguments for every worker, after `--` (e.g. -- -p rate=50).
    #[arg(last = true, value_name = "PLAY ARGS")]
    pub play_args: Vec<String>,
}

/// The spec, or a usage error's one line.
pub fn spec(args: K8sArgs) -> Result<(K8sSpec, PathBuf), String> {
    check_target(&args.target)?;
    let name = match args.name {
        Some(name) => name,
        None => k8s::default_name(&args.scenario).map_err(|e| e.to_string())?,
    };
    k8s::check_name(&name).map_err(|e| e.to_string())?;
    let shipped =
        args.scenario.to_str().and_then(runner::source::shipped).filter(|_| !args.scenario.is_file());
    let scenario = match (args.scenario_in_image, shipped) {
        (Some(path), _) => ScenarioSource::InImage(path),
        // The image's runner ships it too: the workers play it by name, no ConfigMap.
        (None, Some(s)) => ScenarioSource::Shipped(s.name.to_string()),
        (None, None) => {
            let bytes = std::fs::read(&args.scenario)
                .map_err(|e| format!("cannot read {}: {e}", args.scenario.display()))?;
            let file_name =
                args.scenario.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ScenarioSource::File { file_name, bytes }
        }
    };
    let start = match args.start_at {
        Some(at) => Start::At(at),
        None => Start::Delay { delay: args.start_delay, at: SystemTime::now() + args.start_delay },
    };
    let out = args.out.unwrap_or_else(|| PathBuf::from(format!("{name}-k8s")));
    let spec = K8sSpec {
        name,
        scenario,
        workers: args.workers,
        target: args.target,
        image: args.image,
        start,
        results_pvc: args.results_pvc,
        results_size: args.results_size,
        storage_class: args.storage_class,
        api_key: args.api_key_secret,
        api_key_env: args.api_key_env,
        cpu: args.cpu,
        memory: args.memory,
        timeout: args.timeout,
        play_args: args.play_args,
    };
    Ok((spec, out))
}

/// `runner k8s`: the manifests of a distributed run, written into a folder.
pub fn run(args: K8sArgs) -> anyhow::Result<ExitCode> {
    let checked =
        spec(args).and_then(|(spec, out)| Ok((k8s::generate(&spec).map_err(|e| e.to_string())?, out, spec)));
    let (files, out, spec) = match checked {
        Ok(done) => done,
        Err(why) => {
            eprintln!("error: {why} (see runner k8s --help)");
            return Ok(ExitCode::from(crate::exit::USAGE));
        }
    };
    for path in k8s::write(&out, &files)? {
        println!("wrote {}", path.display());
    }
    let start = match spec.start {
        k8s::Start::At(at) => format!("at {}", k8s::rfc3339(at)),
        k8s::Start::Delay { delay, .. } => {
            format!("{} s after run.sh applies the Job", delay.as_secs())
        }
    };
    println!(
        "\n{} workers of {:?} start {start}; next:\n  {}/run.sh",
        spec.workers,
        spec.name,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
