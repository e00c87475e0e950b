//! The JavaScript arm of `runner new`: a project of `scenario.js`, a `package.json` whose
//! `npm run build` calls the JS SDK's build, and a README. By default the SDK is the npm package
//! `runner-sdk` (its `runner-sdk-build` bin, after `npm install`); with `--sdk` it is a
//! checkout's guests/js, called by path.

use std::path::{Path, PathBuf};

use super::{NewError, NewProject, write_all};

const SCENARIO_JS: &str = include_str!("scenario.js.tmpl");
const PACKAGE_JSON: &str = include_str!("package.json.tmpl");
const README_MD: &str = include_str!("README.md.tmpl");

/// The JS SDK folder `--sdk` names: a folder with build.mjs, or the `js` sibling of a Rust SDK
/// folder (so `--sdk CHECKOUT/guests/rust` serves every language).
pub fn sdk_dir(sdk: &Path) -> Result<PathBuf, NewError> {
    [sdk.to_path_buf(), sdk.with_file_name("js")]
        .into_iter()
        .find(|dir| dir.join("build.mjs").exists())
        .ok_or_else(|| NewError::NoJsSdk(sdk.to_path_buf()))
}

/// `text` inside a JSON string, without the quotes.
fn json_inner(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted[1..quoted.len() - 1].to_string()
}

fn render(template: &str, p: &NewProject, sdk: Option<&Path>) -> String {
    let wasm = format!("{}.wasm", p.name);
    let (build, dependencies, install) = match sdk {
        // The published package: `npm install` fetches it (and its build tools) and links its bin.
        None => (
            format!("runner-sdk-build scenario.js -o {wasm}"),
            format!(",\n  \"dependencies\": {{\n    \"runner-sdk\": \"^{}\"\n  }}", super::SDK_VERSION),
            "npm install\n    ",
        ),
        // A checkout's SDK, called by path; its build tools come from `npm install` there.
        Some(dir) => {
            (format!("node \"{}/build.mjs\" scenario.js -o {wasm}", dir.display()), String::new(), "")
        }
    };
    let source = match sdk {
        None => super::sdk_source("npm", None),
        Some(dir) => format!("`{}`, run `npm install` there once", dir.display()),
    };
    super::render(template, p)
        .replace("{{build_json}}", &json_inner(&build))
        .replace("{{dependencies}}", &dependencies)
        .replace("{{install}}", install)
        .replace("{{sdk_source}}", &source)
}

/// Writes the project and returns the files it wrote.
pub fn create(p: &NewProject) -> Result<Vec<PathBuf>, NewError> {
    let sdk = p.sdk.as_deref().map(sdk_dir).transpose()?;
    let files = [("scenario.js", SCENARIO_JS), ("package.json", PACKAGE_JSON), ("README.md", README_MD)];
    write_all(&p.dir, files, |t| render(t, p, sdk.as_deref()))
}

/// What to type next, printed after the files.
pub fn next_steps(p: &NewProject) -> String {
    // The published SDK is installed first (once); a checkout's is there already.
    let install = if p.sdk.is_none() { "\n  npm install" } else { "" };
    format!("\nnext:\n  cd {}{install}\n  npm run build\n  runner play {}.wasm", p.dir.display(), p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(sdk: Option<&str>) -> NewProject {
        NewProject {
            name: "my-probe".into(),
            lang: "js".into(),
            dir: "x".into(),
            sdk: sdk.map(PathBuf::from),
        }
    }

    #[test]
    fn with_sdk_the_build_calls_the_checkouts_build_mjs() {
        let p = project(Some("/r/guests/js"));
        let sdk = Some(Path::new("/r/guests/js"));
        let json: serde_json::Value =
            serde_json::from_str(&render(PACKAGE_JSON, &p, sdk)).expect("package.json is JSON");
        assert_eq!(json["scripts"]["build"], "node \"/r/guests/js/build.mjs\" scenario.js -o my-probe.wasm");
        assert!(json.get("dependencies").is_none(), "{json}");
        assert!(render(SCENARIO_JS, &p, sdk).contains(r#"info("my-probe", "0.1.0""#));
        assert!(render(README_MD, &p, sdk).contains("runner play my-probe.wasm"));
        assert!(!next_steps(&p).contains("npm install") && next_steps(&p).contains("npm run build"));
    }

    #[test]
    fn without_sdk_the_project_depends_on_the_published_package() {
        let p = project(None);
        let pkg = render(PACKAGE_JSON, &p, None);
        let json: serde_json::Value = serde_json::from_str(&pkg).expect("package.json is JSON");
        assert_eq!(json["dependencies"]["runner-sdk"], format!("^{}", super::super::SDK_VERSION));
        assert_eq!(json["scripts"]["build"], "runner-sdk-build scenario.js -o my-probe.wasm");
        assert!(!pkg.contains('/') && !pkg.contains("{{"), "no path, every placeholder filled: {pkg}");
        let readme = render(README_MD, &p, None);
        assert!(readme.contains("    npm install\n    npm run build\n"), "{readme}");
        assert!(next_steps(&p).contains("npm install\n  npm run build"));
    }

    #[test]
    fn an_sdk_folder_without_build_mjs_is_refused() {
        let err = sdk_dir(Path::new("/nonexistent/guests/js")).expect_err("no build.mjs there");
        assert!(err.to_string().contains("--sdk /nonexistent/guests/js"), "{err}");
    }
}
