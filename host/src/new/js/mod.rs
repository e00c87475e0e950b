//! The JavaScript arm of `runner new`: a project of `scenario.js`, a `package.json` whose
//! `npm run build` calls the JS SDK's build (guests/js/build.mjs), and a README.

use std::path::{Path, PathBuf};

use super::{NewError, NewProject, write_all};

const SCENARIO_JS: &str = include_str!("scenario.js.tmpl");
const PACKAGE_JSON: &str = include_str!("package.json.tmpl");
const README_MD: &str = include_str!("README.md.tmpl");

/// The JS SDK for `sdk`: given as `--sdk` (a folder with build.mjs), or the `js` sibling of the
/// Rust SDK that [`super::default_sdk`] finds.
pub fn sdk_dir(sdk: &Path) -> Result<PathBuf, NewError> {
    [sdk.to_path_buf(), sdk.with_file_name("js")]
        .into_iter()
        .find(|dir| dir.join("build.mjs").exists())
        .ok_or(NewError::NoJsSdk)
}

fn render(template: &str, p: &NewProject, sdk: &Path) -> String {
    // The path also sits inside a JSON string in package.json.
    let sdk_json = serde_json::to_string(&sdk.display().to_string()).unwrap_or_default();
    let template = template.replace("{{sdk_json}}", sdk_json.trim_matches('"'));
    super::render(&template, &NewProject { sdk: sdk.to_path_buf(), ..p.clone() })
}

/// Writes the project and returns the files it wrote.
pub fn create(p: &NewProject) -> Result<Vec<PathBuf>, NewError> {
    let sdk = sdk_dir(&p.sdk)?;
    let files = [("scenario.js", SCENARIO_JS), ("package.json", PACKAGE_JSON), ("README.md", README_MD)];
    write_all(&p.dir, files, |t| render(t, p, &sdk))
}

/// What to type next, printed after the files.
pub fn next_steps(p: &NewProject) -> String {
    format!("\nnext:\n  cd {}\n  npm run build\n  runner play {}.wasm", p.dir.display(), p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_the_scenario_and_the_sdk() {
        let p =
            NewProject { name: "my-probe".into(), lang: "js".into(), dir: "x".into(), sdk: "/sdk".into() };
        let sdk = Path::new("/r/guests/js");
        let pkg = render(PACKAGE_JSON, &p, sdk);
        let json: serde_json::Value = serde_json::from_str(&pkg).expect("package.json is JSON");
        assert_eq!(json["scripts"]["build"], "node \"/r/guests/js/build.mjs\" scenario.js -o my-probe.wasm");
        assert!(render(SCENARIO_JS, &p, sdk).contains(r#"info("my-probe", "0.1.0""#));
        assert!(render(README_MD, &p, sdk).contains("runner play my-probe.wasm"));
    }
}
