//! Which model a run's LLM calls name when they name none. The first that gives one wins:
//!
//! 1. `--model NAME` (also sets the scenario's `model` parameter, when it declares one);
//! 2. the scenario's `model` parameter: `-p model=…`, or its non-empty default;
//! 3. the target's `GET /v1/models`, asked once in the prepare stage, when it lists exactly one
//!    model. Any other answer (none, several, no such endpoint, an error) leaves the model unset
//!    and the run goes on.
//!
//! The model and where it came from are recorded in the summary ([`RunModel`]).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use runner_reports::{ModelSource, RunModel};
use serde_json::Value;

use crate::client::http::{HttpClient, Request, TargetHeaders};
use crate::client::openai::api_url;

/// The parameter every LLM scenario declares for its model.
pub const PARAM: &str = "model";

/// How long discovery waits for the whole `/v1/models` answer.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a `/v1/models` body that is read; a list of models is far smaller.
const DISCOVERY_BODY_LIMIT: usize = 1 << 20;

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

/// Asks the target which models it serves and, when it lists exactly one, takes it (setting
/// the `model` parameter when the scenario declares one). Never fails: any other outcome is
/// logged and gives `None`.
pub async fn discover(
    client: &HttpClient,
    target: &str,
    headers: &TargetHeaders,
    params: &mut BTreeMap<String, String>,
) -> Option<RunModel> {
    let url = api_url(target, "models");
    let ids = match list_models(client, &url, headers).await {
        Ok(ids) => ids,
        Err(why) => {
            tracing::info!("no model given and none discovered: GET {url}: {why}");
            return None;
        }
    };
    let [name] = <[String; 1]>::try_from(ids)
        .map_err(|ids| {
            tracing::info!(
                "no model given and none discovered: {url} lists {} models{}",
                ids.len(),
                if ids.is_empty() { String::new() } else { format!(" ({})", ids.join(", ")) }
            );
        })
        .ok()?;
    eprintln!("no model given: using {name}, the one model {url} lists");
    if let Some(param) = params.get_mut(PARAM) {
        param.clone_from(&name);
    }
    Some(RunModel { name, source: ModelSource::Discovered })
}

/// `GET url` with the run's headers; the ids of the models listed.
async fn list_models(client: &HttpClient, url: &str, headers: &TargetHeaders) -> Result<Vec<String>, String> {
    let own = [("accept".to_string(), "application/json".to_string())];
    let request = Request {
        method: "GET".into(),
        url: url.to_string(),
        headers: headers.merged(&own).into_owned(),
        body: Bytes::new(),
        timeout: Some(DISCOVERY_TIMEOUT),
    };
    let mut response = client.start(request).await.map_err(|e| e.to_string())?;
    if !(200..300).contains(&response.status) {
        return Err(format!("HTTP {}", response.status));
    }
    let body = response.read_to_end(DISCOVERY_BODY_LIMIT).await.map_err(|e| e.to_string())?;
    model_ids(&body)
}

/// The `id`s of an OpenAI-style model list, `{"data": [{"id": "…"}, …]}`, in order.
pub fn model_ids(body: &[u8]) -> Result<Vec<String>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let data = value.get("data").and_then(Value::as_array).ok_or("the answer has no `data` list")?;
    data.iter()
        .map(|m| m.get("id").and_then(Value::as_str).map(str::to_string).ok_or("a listed model has no `id`"))
        .collect::<Result<_, _>>()
        .map_err(str::to_string)
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

    #[test]
    fn model_ids_reads_an_openai_list_and_names_what_is_wrong_with_others() {
        let list = br#"{"object":"list","data":[{"id":"a","object":"model"},{"id":"b"}]}"#;
        assert_eq!(model_ids(list).expect("a list"), ["a", "b"]);
        assert_eq!(model_ids(br#"{"data":[]}"#).expect("an empty list"), Vec::<String>::new());
        assert!(model_ids(b"<html>").expect_err("not JSON").contains("not JSON"));
        assert!(model_ids(br#"{"models":[]}"#).expect_err("no data").contains("`data`"));
        assert!(model_ids(br#"{"data":[{"name":"a"}]}"#).expect_err("no id").contains("`id`"));
    }
}
