//! The Python arm of `runner new`: a project of `app.py` (the scenario, over the Python SDK), a
//! `build.sh` that builds it with one command, and a README. By default `build.sh` installs the
//! published `runner-sdk` (pinned in the project's requirements.txt) into the project's .venv
//! and runs its `runner-sdk-build`; with `--sdk` it calls a checkout's guests/python/build.sh.

use std::path::{Path, PathBuf};

use super::{NewError, NewProject, write_all};

const APP_PY: &str = include_str!("app.py.tmpl");
const BUILD_SH: &str = include_str!("build.sh.tmpl");
const BUILD_SH_PYPI: &str = include_str!("build-pypi.sh.tmpl");
const README_MD: &str = include_str!("README.md.tmpl");

/// The Python SDK folder `--sdk` names: a folder with build.sh and src/runner_sdk, or the
/// `python` sibling of a Rust SDK folder (so `--sdk CHECKOUT/guests/rust` serves every language).
pub fn sdk_dir(sdk: &Path) -> Result<PathBuf, NewError> {
    [sdk.to_path_buf(), sdk.with_file_name("python")]
        .into_iter()
        .find(|dir| dir.join("build.sh").exists() && dir.join("src").join("runner_sdk").is_dir())
        .ok_or_else(|| NewError::NoPySdk(sdk.to_path_buf()))
}

/// The project's requirements.txt: the published SDK, pinned exactly (the build tools it pins
/// come with it).
fn requirements() -> String {
    format!("runner-sdk=={}\n", super::SDK_VERSION)
}

fn render(template: &str, p: &NewProject, sdk: Option<&Path>) -> String {
    let source = match sdk {
        None => super::sdk_source("PyPI", None),
        Some(dir) => format!("`{}`", dir.display()),
    };
    super::render(template, p)
        .replace("{{sdk}}", &sdk.map(|dir| dir.display().to_string()).unwrap_or_default())
        .replace("{{sdk_source}}", &source)
}

/// Writes the project and returns the files it wrote; `build.sh` is made executable.
pub fn create(p: &NewProject) -> Result<Vec<PathBuf>, NewError> {
    let sdk = p.sdk.as_deref().map(sdk_dir).transpose()?;
    let requirements = requirements();
    let written = match sdk {
        Some(_) => {
            write_all(&p.dir, [("app.py", APP_PY), ("build.sh", BUILD_SH), ("README.md", README_MD)], |t| {
                render(t, p, sdk.as_deref())
            })?
        }
        None => {
            let files = [
                ("app.py", APP_PY),
                ("build.sh", BUILD_SH_PYPI),
                ("requirements.txt", requirements.as_str()),
                ("README.md", README_MD),
            ];
            write_all(&p.dir, files, |t| render(t, p, None))?
        }
    };
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

    fn project(sdk: Option<&str>) -> NewProject {
        NewProject {
            name: "my-probe".into(),
            lang: "python".into(),
            dir: "x".into(),
            sdk: sdk.map(PathBuf::from),
        }
    }

    #[test]
    fn with_sdk_build_sh_calls_the_checkouts_build_sh() {
        let (p, sdk) = (project(Some("/r/guests/rust")), Some(Path::new("/r/guests/python")));
        assert!(render(APP_PY, &p, sdk).contains("class MyProbe(Scenario):"));
        assert!(render(APP_PY, &p, sdk).contains("Guest = export(MyProbe)"));
        assert!(render(BUILD_SH, &p, sdk).contains("exec \"/r/guests/python/build.sh\" . my-probe.wasm"));
        assert!(render(README_MD, &p, sdk).contains("runner play my-probe.wasm"));
        let err = sdk_dir(Path::new("/nonexistent/guests/rust")).expect_err("no SDK there");
        assert!(err.to_string().contains("--sdk /nonexistent/guests/rust"), "{err}");
    }

    #[test]
    fn without_sdk_the_build_installs_the_pinned_published_package() {
        let p = project(None);
        assert_eq!(requirements(), format!("runner-sdk=={}\n", super::super::SDK_VERSION));
        let build = render(BUILD_SH_PYPI, &p, None);
        assert!(
            build.contains("pip install --quiet --disable-pip-version-check -r requirements.txt"),
            "{build}"
        );
        assert!(build.contains("exec .venv/bin/runner-sdk-build . my-probe.wasm"), "{build}");
        assert!(!build.contains("{{") && !build.contains("guests/"), "{build}");
        assert!(
            render(README_MD, &p, None)
                .contains(&format!("runner-sdk {} from PyPI", super::super::SDK_VERSION))
        );
    }
}
