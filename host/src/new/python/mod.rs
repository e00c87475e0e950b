//! The Python arm of `runner new`: a project of `app.py` (the scenario, over the Python SDK in
//! guests/python), a `build.sh` that builds it with one command, and a README.

use super::NewProject;

const APP_PY: &str = include_str!("app.py.tmpl");
const BUILD_SH: &str = include_str!("build.sh.tmpl");
const README_MD: &str = include_str!("README.md.tmpl");

/// Where the Python SDK lives in a runner checkout, beside guests/rust.
pub const SDK_DIR: &str = "python";

/// The file the SDK folder must hold to be the Python SDK.
pub const SDK_MARKER: &str = "build.sh";

/// The project's files, as `(relative path, template, executable)`.
pub const FILES: [(&str, &str, bool); 3] =
    [("app.py", APP_PY, false), ("build.sh", BUILD_SH, true), ("README.md", README_MD, false)];

/// What to type after `runner new`, in the project folder.
pub fn next_steps(p: &NewProject) -> String {
    format!("  cd {}\n  ./build.sh\n  runner play {}.wasm", p.dir.display(), p.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::new::render;

    #[test]
    fn templates_name_the_scenario_and_the_sdk() {
        let p = NewProject {
            name: "my-probe".into(),
            lang: "python".into(),
            dir: "x".into(),
            sdk: "/sdk/python".into(),
        };
        assert!(render(APP_PY, &p).contains("class MyProbe(Scenario):"));
        assert!(render(APP_PY, &p).contains("Guest = export(MyProbe)"));
        assert!(render(BUILD_SH, &p).contains("exec \"/sdk/python/build.sh\" . my-probe.wasm"));
        assert!(render(README_MD, &p).contains("runner play my-probe.wasm"));
    }
}
