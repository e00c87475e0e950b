//! The Python arm of `runner new`: a project of `app.py` (the scenario, over the Python SDK in
//! guests/python), a `build.sh` that builds it with one command, and a README.

use std::path::{Path, PathBuf};

use super::{NewError, NewProject, write_all};

const APP_PY: &str = include_str!("app.py.tmpl");
const BUILD_SH: &str = include_str!("build.sh.tmpl");
const README_MD: &str = include_str!("README.md.tmpl");

/// The Python SDK for `sdk`: given as `--sdk` (a folder with build.sh and src/runner_sdk), or
/// the `python` sibling of the Rust SDK that [`super::default_sdk`] finds.
pub fn sdk_dir(sdk: &Path) -> Result<PathBuf, NewError> {
    [sdk.to_path_buf(), sdk.with_file_name("python")]
        .into_iter()
        .find(|dir| dir.join("build.sh").exists() && dir.join("src").join("runner_sdk").is_dir())
        .ok_or(NewError::NoPySdk)
}

fn render(template: &str, p: &NewProject, sdk: &Path) -> String {
    super::render(template, &NewProject { sdk: sdk.to_path_buf(), ..p.clone() })
}

/// Writes the project and returns the files it wrote; `build.sh` is made executable.
pub fn create(p: &NewProject) -> Result<Vec<PathBuf>, NewError> {
    let sdk = sdk_dir(&p.sdk)?;
    let files = [("app.py", APP_PY), ("build.sh", BUILD_SH), ("README.md", README_MD)];
    let written = write_all(&p.dir, files, |t| render(t, p, &sdk))?;
    let build = p.dir.join("build.sh");
    make_executable(&build).map_err(|source| NewError::Write { path: build, source })?;
    Ok(written)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// What to type next, printed after the files.
pub fn next_steps(p: &NewProject) -> String {
    format!("\nnext:\n  cd {}\n  ./build.sh\n  runner play {}.wasm", p.dir.display(), p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_the_scenario_and_the_sdk() {
        let p = NewProject {
            name: "my-probe".into(),
            lang: "python".into(),
            dir: "x".into(),
            sdk: "/r/guests/rust".into(),
        };
        let sdk = Path::new("/r/guests/python");
        assert!(render(APP_PY, &p, sdk).contains("class MyProbe(Scenario):"));
        assert!(render(APP_PY, &p, sdk).contains("Guest = export(MyProbe)"));
        assert!(render(BUILD_SH, &p, sdk).contains("exec \"/r/guests/python/build.sh\" . my-probe.wasm"));
        assert!(render(README_MD, &p, sdk).contains("runner play my-probe.wasm"));
        assert!(matches!(sdk_dir(Path::new("/nonexistent/guests/rust")), Err(NewError::NoPySdk)));
    }
}
