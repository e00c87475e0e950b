//! Which model a run's LLM calls name when they name none. The first that gives one wins:
//!
//! 1. `--model NAME` (also sets the scenario's `model` parameter, when it declares one);
//! 2. the scenario's `model` parameter: `-p model=…`, or its non-empty default;
//! 3. the target's `GET /v1/models`, asked once in the prepare stage (with the server's other
//!    facts: `run/server_info.rs`), when it lists exactly one model. Any other answer (none, several, no such endpoint, an error) leaves the model unset
//!    and the run goes on.
//!
//! The model and where it came from are recorded in the summary ([`RunModel`]).

use std::collections::BTreeMap;

use runner_reports::{ModelSource, RunModel};

/// The parameter every LLM scenario declares for its model.
pub const PARAM: &str = "model";

/// `--model` and `-p model=` both name the run's model: giving both is a usage error.
pub fn check_flag(flag: Option<&str>, params: &[(String, String)]) -> Result<(), String> {
    match flag {
        Some(m) if m.trim().is_empty() => Err("--model needs a model name".into()),
        Some(_) if params.iter().any(|(name, _)| name == PARAM) => {
            Err("--model and -p model=… both set the model: give one of them".into())
        }
        _ => Ok(()),
    }
}

/// The model given on the command line or by the scenario's parameter, before any discovery.
/// `--model` overrides the `model` parameter in `params` when the scenario declares it.
pub fn from_inputs(flag: Option<&str>, params: &mut BTreeMap<String, String>) -> Option<RunModel> {
    if let Some(name) = flag {
        if let Some(param) = params.get_mut(PARAM) {
            *param = name.to_string();
        }
        return Some(RunModel { name: name.to_string(), source: ModelSource::Flag });
    }
    let name = params.get(PARAM).filter(|m| !m.trim().is_empty())?;
    Some(RunModel { name: name.clone(), source: ModelSource::Param })
}

/// Takes the one model the target listed (`listing`, from [`super::server_info::probe`], which
/// asked `url`), setting the `model` parameter when the scenario declares one. Never fails: any
/// other listing (none, several, no such endpoint, an error) is logged and gives `None`.
pub fn discover(
    listing: &Result<Vec<String>, String>,
    url: &str,
    params: &mut BTreeMap<String, String>,
) -> Option<RunModel> {
    let ids = match listing {
        Ok(ids) => ids,
        Err(why) => {
            tracing::info!("no model given and none discovered: GET {url}: {why}");
            return None;
        }
    };
    let [name] = ids.as_slice() else {
        tracing::info!(
            "no model given and none discovered: {url} lists {} models{}",
            ids.len(),
            if ids.is_empty() { String::new() } else { format!(" ({})", ids.join(", ")) }
        );
        return None;
    };
    eprintln!("no model given: using {name}, the one model {url} lists");
    if let Some(param) = params.get_mut(PARAM) {
        param.clone_from(name);
    }
    Some(RunModel { name: name.clone(), source: ModelSource::Discovered })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_flag_and_the_param_together_are_refused_in_one_line() {
        let err = check_flag(Some("m"), &given(&[("vus", "2"), ("model", "n")])).expect_err("a conflict");
        assert!(err.contains("--model") && err.contains("-p model="), "{err}");
        assert!(!err.contains('\n'));
        assert!(check_flag(Some("m"), &given(&[("vus", "2")])).is_ok());
        assert!(check_flag(None, &given(&[("model", "n")])).is_ok());
        assert!(check_flag(Some(" "), &[]).expect_err("blank").contains("needs a model name"));
    }

    #[test]
    fn the_flag_wins_and_overrides_a_declared_model_parameter() {
        let mut params = BTreeMap::from([(PARAM.to_string(), "default".to_string())]);
        let model = from_inputs(Some("m"), &mut params).expect("a model");
        assert_eq!(model, RunModel { name: "m".into(), source: ModelSource::Flag });
        assert_eq!(params[PARAM], "m");
    }

    #[test]
    fn the_flag_adds_no_parameter_the_scenario_does_not_declare() {
        let mut params = BTreeMap::new();
        assert_eq!(from_inputs(Some("m"), &mut params).map(|m| m.source), Some(ModelSource::Flag));
        assert!(params.is_empty());
    }

    #[test]
    fn a_non_blank_parameter_is_the_model_and_a_blank_one_is_none() {
        let mut params = BTreeMap::from([(PARAM.to_string(), "qwen".to_string())]);
        assert_eq!(
            from_inputs(None, &mut params),
            Some(RunModel { name: "qwen".into(), source: ModelSource::Param })
        );
        let mut blank = BTreeMap::from([(PARAM.to_string(), " ".to_string())]);
        assert_eq!(from_inputs(None, &mut blank), None);
        assert_eq!(from_inputs(None, &mut BTreeMap::new()), None);
    }
}
