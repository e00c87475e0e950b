//! `runner new NAME`: writes a scenario project from a template that builds with one command and
//! plays against the simulated server out of the box. Rust, and Python (python/); the JS SDK
//! comes with its guest (issue #5).

use std::path::{Path, PathBuf};

const CARGO_TOML: &str = include_str!("Cargo.toml.tmpl");
const LIB_RS: &str = include_str!("lib.rs.tmpl");
const README_MD: &str = include_str!("README.md.tmpl");

mod python;

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error("{0:?} is not a valid scenario name: use letters, digits, '-' and '_', starting with a letter")]
    BadName(String),
    #[error("--lang {0} is not supported yet: rust or python (the JS SDK is still to come)")]
    Language(String),
    #[error("{0} already exists: choose another name or --out")]
    Exists(PathBuf),
    #[error(
        "cannot find the SDK (guests/rust, guests/python) next to this runner build: pass --sdk \
         PATH to the runner checkout's guests/<lang>"
    )]
    NoSdk,
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
    /// The SDK of `lang` (`guests/rust` or `guests/python` of a runner checkout).
    pub sdk: PathBuf,
}

/// The SDK for `lang` of the checkout this binary was built in (`target/<profile>/runner` →
/// `guests/rust`, `guests/python`), when there is one.
pub fn default_sdk(lang: &str) -> Option<PathBuf> {
    let (dir, marker) = match lang {
        "python" => (python::SDK_DIR, python::SDK_MARKER),
        _ => ("rust", "Cargo.toml"),
    };
    let exe = std::env::current_exe().ok()?;
    let sdk = exe.parent()?.parent()?.parent()?.join("guests").join(dir);
    sdk.join(marker).exists().then(|| sdk.canonicalize().unwrap_or(sdk))
}

/// What to type after `runner new`, one command a line.
pub fn next_steps(p: &NewProject) -> String {
    if p.lang == "python" {
        return python::next_steps(p);
    }
    let wasm = format!("target/wasm32-wasip2/release/{}.wasm", p.name.replace('-', "_"));
    format!("  cd {}\n  cargo build --release --target wasm32-wasip2\n  runner play {wasm}", p.dir.display())
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

pub(crate) fn render(template: &str, p: &NewProject) -> String {
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
    let files: &[(&str, &str, bool)] = match p.lang.as_str() {
        "rust" => &[
            ("Cargo.toml", CARGO_TOML, false),
            ("src/lib.rs", LIB_RS, false),
            ("README.md", README_MD, false),
        ],
        "python" => &python::FILES,
        _ => return Err(NewError::Language(p.lang.clone())),
    };
    if p.dir.exists() {
        return Err(NewError::Exists(p.dir.clone()));
    }
    let mut written = Vec::new();
    for &(file, template, executable) in files {
        let path = p.dir.join(file);
        write(&path, &render(template, p), executable)?;
        written.push(path);
    }
    Ok(written)
}

fn write(path: &Path, text: &str, executable: bool) -> Result<(), NewError> {
    let fail = |source| NewError::Write { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(fail)?;
    }
    Ok(())
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
