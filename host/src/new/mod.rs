//! `runner new NAME`: writes a scenario project from a template that builds with one command and
//! plays against the simulated server out of the box. Rust here; JavaScript in [`js`]; Python in
//! [`python`].

pub mod js;
pub mod python;

use std::path::{Path, PathBuf};

const CARGO_TOML: &str = include_str!("Cargo.toml.tmpl");
const LIB_RS: &str = include_str!("lib.rs.tmpl");
const README_MD: &str = include_str!("README.md.tmpl");

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error("{0:?} is not a valid scenario name: use letters, digits, '-' and '_', starting with a letter")]
    BadName(String),
    #[error("--lang {0} is not supported: rust, js or python")]
    Language(String),
    #[error("{0} already exists: choose another name or --out")]
    Exists(PathBuf),
    #[error("--sdk {0}: no runner JavaScript SDK there (a folder with build.mjs, as guests/js)")]
    NoJsSdk(PathBuf),
    #[error(
        "--sdk {0}: no runner Python SDK there (a folder with build.sh and src/runner_sdk, as guests/python)"
    )]
    NoPySdk(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// What to create.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub name: String,
    pub lang: String,
    /// The folder to create (default: `./NAME`).
    pub dir: PathBuf,
    /// `--sdk`: the SDK folder of a runner checkout (`guests/rust`, `guests/js`,
    /// `guests/python`) to depend on by path. Without it the project depends on the published
    /// SDK of [`SDK_VERSION`], so an installed `runner` needs no checkout.
    pub sdk: Option<PathBuf>,
}

/// The SDK version a new project asks for: the runner's own, since the host and the three SDKs
/// are released together at the workspace's version (a test holds guests/rust, guests/js and
/// guests/python to it).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `hello-world` → `HelloWorld`, the scenario's type name.
fn type_name(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn render(template: &str, p: &NewProject) -> String {
    template
        .replace("{{name}}", &p.name)
        .replace("{{crate}}", &p.name.replace('-', "_"))
        .replace("{{type}}", &type_name(&p.name))
}

/// The Rust SDK dependency, a TOML value: the published version, or `--sdk`'s path.
fn rust_dependency(sdk: Option<&Path>) -> String {
    match sdk {
        // A caret requirement, as `cargo add` writes it: any compatible 0.1.x release.
        None => format!("\"{SDK_VERSION}\""),
        Some(path) => format!("{{ path = {} }}", toml_string(&path.display().to_string())),
    }
}

/// `text` as a TOML basic string (a Windows path's backslashes and any quote escaped).
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Where the SDK comes from, in words, for the README.
fn sdk_source(registry: &str, sdk: Option<&Path>) -> String {
    match sdk {
        None => format!("runner-sdk {SDK_VERSION} from {registry}"),
        Some(path) => format!("`{}`", path.display()),
    }
}

/// Writes the project and returns the files it wrote.
pub fn create(p: &NewProject) -> Result<Vec<PathBuf>, NewError> {
    if !valid_name(&p.name) {
        return Err(NewError::BadName(p.name.clone()));
    }
    let create_in: fn(&NewProject) -> Result<Vec<PathBuf>, NewError> = match p.lang.as_str() {
        "rust" => create_rust,
        "js" => js::create,
        "python" => python::create,
        _ => return Err(NewError::Language(p.lang.clone())),
    };
    if p.dir.exists() {
        return Err(NewError::Exists(p.dir.clone()));
    }
    // The project lives elsewhere than the current directory: a relative --sdk becomes absolute.
    let sdk = p.sdk.as_ref().map(|sdk| sdk.canonicalize().unwrap_or_else(|_| sdk.clone()));
    create_in(&NewProject { sdk, ..p.clone() })
}

fn create_rust(p: &NewProject) -> Result<Vec<PathBuf>, NewError> {
    write_all(&p.dir, [("Cargo.toml", CARGO_TOML), ("src/lib.rs", LIB_RS), ("README.md", README_MD)], |t| {
        render_rust(t, p)
    })
}

fn render_rust(template: &str, p: &NewProject) -> String {
    render(template, p)
        .replace("{{sdk_dependency}}", &rust_dependency(p.sdk.as_deref()))
        .replace("{{sdk_source}}", &sdk_source("crates.io", p.sdk.as_deref()))
}

/// What to type next, printed after the files: the one build command and the play command.
pub fn next_steps(p: &NewProject) -> String {
    match p.lang.as_str() {
        "js" => js::next_steps(p),
        "python" => python::next_steps(p),
        _ => format!(
            "\nnext:\n  cd {}\n  cargo build --release --target wasm32-wasip2\n  runner play \
             target/wasm32-wasip2/release/{}.wasm",
            p.dir.display(),
            p.name.replace('-', "_")
        ),
    }
}

/// Writes each `(file, template)` under `dir`, rendered, and returns the paths written.
fn write_all<const N: usize>(
    dir: &Path,
    files: [(&str, &str); N],
    render: impl Fn(&str) -> String,
) -> Result<Vec<PathBuf>, NewError> {
    files
        .into_iter()
        .map(|(file, template)| {
            let path = dir.join(file);
            write(&path, &render(template)).map(|()| path)
        })
        .collect()
}

fn write(path: &Path, text: &str) -> Result<(), NewError> {
    let fail = |source| NewError::Write { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(sdk: Option<&str>) -> NewProject {
        NewProject {
            name: "my-probe".into(),
            lang: "rust".into(),
            dir: "x".into(),
            sdk: sdk.map(PathBuf::from),
        }
    }

    #[test]
    fn names_become_crates_and_types() {
        assert!(valid_name("hello-world_2") && !valid_name("2fast") && !valid_name("a b") && !valid_name(""));
        assert_eq!(type_name("hello-world_2"), "HelloWorld2");
        let p = project(Some("/sdk"));
        let toml = render_rust(CARGO_TOML, &p);
        assert!(toml.contains("name = \"my-probe\"") && toml.contains("runner-sdk = { path = \"/sdk\" }"));
        assert!(render_rust(LIB_RS, &p).contains("struct MyProbe;"));
        assert!(render_rust(README_MD, &p).contains("release/my_probe.wasm"));
        assert!(next_steps(&p).contains("cargo build --release --target wasm32-wasip2"));
    }

    #[test]
    fn without_sdk_the_project_depends_on_the_published_version() {
        let toml = render_rust(CARGO_TOML, &project(None));
        assert!(toml.contains(&format!("runner-sdk = \"{SDK_VERSION}\"\n")), "{toml}");
        assert!(!toml.contains("path"), "no path dependency: {toml}");
        assert!(!toml.contains("{{"), "every placeholder filled: {toml}");
        let readme = render_rust(README_MD, &project(None));
        assert!(readme.contains(&format!("runner-sdk {SDK_VERSION} from crates.io")), "{readme}");
    }

    #[test]
    fn an_sdk_path_is_a_toml_string_whatever_it_holds() {
        let toml = render_rust(CARGO_TOML, &project(Some(r#"C:\odd "dir"\rust"#)));
        assert!(toml.contains(r#"runner-sdk = { path = "C:\\odd \"dir\"\\rust" }"#), "{toml}");
    }

    /// [`SDK_VERSION`] is what the three SDKs in this checkout are: a release publishes them
    /// together, so a new project's dependency resolves to the SDK this runner speaks.
    #[test]
    fn the_sdk_version_is_every_sdk_packages_version() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let read =
            |file: &str| std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let toml_version = |text: &str, section: &str| {
            let start = text.find(section).unwrap_or_else(|| panic!("no {section}"));
            let line = text[start..].lines().find(|l| l.starts_with("version")).expect("a version line");
            line.split('"').nth(1).map(str::to_string).unwrap_or_else(|| line.trim().to_string())
        };
        let rust = read("guests/rust/Cargo.toml");
        let rust = match toml_version(&rust, "[package]").as_str() {
            "version.workspace = true" => toml_version(&read("Cargo.toml"), "[workspace.package]"),
            own => own.to_string(),
        };
        let js: serde_json::Value =
            serde_json::from_str(&read("guests/js/package.json")).expect("package.json");
        let python = toml_version(&read("guests/python/pyproject.toml"), "[project]");
        assert_eq!(rust, SDK_VERSION, "guests/rust");
        assert_eq!(js["version"], SDK_VERSION, "guests/js/package.json");
        assert_eq!(python, SDK_VERSION, "guests/python/pyproject.toml");
    }
}
