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
    #[error(
        "cannot find the Rust SDK (guests/rust) next to this runner build: pass --sdk PATH to the \
         runner checkout's guests/rust"
    )]
    NoSdk,
    #[error(
        "cannot find the JavaScript SDK (guests/js) next to this runner build: pass --sdk PATH to the \
         runner checkout's guests/js"
    )]
    NoJsSdk,
    #[error(
        "cannot find the Python SDK (guests/python) next to this runner build: pass --sdk PATH to \
         the runner checkout's guests/python"
    )]
    NoPySdk,
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
    /// The Rust SDK crate (`guests/rust` of a runner checkout).
    pub sdk: PathBuf,
}

/// The SDK of the checkout this binary was built in (`target/<profile>/runner` →
/// `guests/rust`), when there is one.
pub fn default_sdk() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let sdk = exe.parent()?.parent()?.parent()?.join("guests").join("rust");
    sdk.join("Cargo.toml").exists().then(|| sdk.canonicalize().unwrap_or(sdk))
}

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
        .replace("{{sdk}}", &p.sdk.display().to_string())
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
    create_in(p)
}

fn create_rust(p: &NewProject) -> Result<Vec<PathBuf>, NewError> {
    write_all(&p.dir, [("Cargo.toml", CARGO_TOML), ("src/lib.rs", LIB_RS), ("README.md", README_MD)], |t| {
        render(t, p)
    })
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

    #[test]
    fn names_become_crates_and_types() {
        assert!(valid_name("hello-world_2") && !valid_name("2fast") && !valid_name("a b") && !valid_name(""));
        assert_eq!(type_name("hello-world_2"), "HelloWorld2");
        let p =
            NewProject { name: "my-probe".into(), lang: "rust".into(), dir: "x".into(), sdk: "/sdk".into() };
        let toml = render(CARGO_TOML, &p);
        assert!(toml.contains("name = \"my-probe\"") && toml.contains("runner-sdk = { path = \"/sdk\" }"));
        assert!(render(LIB_RS, &p).contains("struct MyProbe;"));
        assert!(render(README_MD, &p).contains("release/my_probe.wasm"));
    }
}
