//! What the target tells about itself, asked once in the prepare stage, before any traffic: the
//! models `GET /v1/models` lists (which model discovery then uses: `run/model.rs`), the `Server`
//! response header, and the version endpoints of the servers runner knows:
//!
//! | endpoint | server | what is kept |
//! |---|---|---|
//! | `GET /props` | llama.cpp | `build_info` (version: its `bNNNN`), `model_path`, `total_slots`, `n_ctx` |
//! | `GET /info` | TGI | `version`, `sha` (build), `model_id`, `model_dtype`, `max_total_tokens` |
//! | `GET /get_server_info` | SGLang | `version`, `model_path`, `tp_size` |
//! | `GET /version` | vLLM (and the built-in mock) | `version` |
//!
//! They are asked one after another in this order, the most particular first, until one
//! identifies the server; each with a short timeout, and with the run's target headers like every
//! request to the target (a server behind `--api-key` answers them too). Nothing here fails
//! the run: an endpoint that is missing, slow or odd is simply not heard. Only the fields above
//! are recorded, each cut to a short printable line: never a whole answer (llama.cpp's carries the
//! chat template), and never anything the runner sent.

use std::time::Duration;

use bytes::Bytes;
use runner_reports::ServerInfo;
use serde_json::Value;

use crate::client::http::{HttpClient, Request, TargetHeaders};
use crate::client::openai::api_url;

/// The version endpoints asked, relative to the server's root, in the order they are trusted.
pub const VERSION_ENDPOINTS: [&str; 4] = ["/props", "/info", "/get_server_info", "/version"];

/// The most requests the probe sends: `/v1/models` and every version endpoint, which is what a
/// server identified by `/version` alone (vLLM, the built-in mock) gets (tests that count what a
/// server saw add these).
pub const REQUESTS: usize = 1 + VERSION_ENDPOINTS.len();

/// How long `/v1/models` may take (model discovery depends on it).
const MODELS_TIMEOUT: Duration = Duration::from_secs(10);

/// How long each version endpoint may take: they are cheap, and a server without one should not
/// hold the run up.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the version endpoints may take together.
const PROBES_BUDGET: Duration = Duration::from_secs(4);

/// The most of an answer that is read; llama.cpp's `/props` with its chat template is far
/// smaller.
const BODY_LIMIT: usize = 1 << 20;

/// The longest text kept from any field, in characters.
const FIELD_LIMIT: usize = 200;

/// The most model ids kept from `/v1/models`.
const MODELS_LIMIT: usize = 64;

/// What the prepare stage learnt from the target.
#[derive(Debug, Clone)]
pub struct Probed {
    /// What is recorded in the summary; `None` when the server told nothing.
    pub info: Option<ServerInfo>,
    /// The model ids `/v1/models` listed (every one, uncut), or why there is no list: what model
    /// discovery decides on.
    pub listing: Result<Vec<String>, String>,
    /// The `/v1/models` URL asked, for discovery's messages.
    pub models_url: String,
}

/// One endpoint's answer: its `Server` header and its JSON body.
struct Answer {
    server: Option<String>,
    body: Result<Value, String>,
}

/// Asks the target, one question after another over one keep-alive connection (a server is
/// not hit by a burst, and a TLS target costs one handshake); never fails.
pub async fn probe(client: &HttpClient, target: &str, headers: &TargetHeaders) -> Probed {
    let models_url = api_url(target, "models");
    let models = get(client, &models_url, headers, MODELS_TIMEOUT).await;
    let listing = match &models.body {
        Ok(value) => model_ids(value),
        Err(e) => Err(e.clone()),
    };
    let mut server = ServerInfo {
        server_header: models.server.clone(),
        models: listing
            .as_ref()
            .map(|ids| ids.iter().take(MODELS_LIMIT).map(|m| short(m)).collect())
            .unwrap_or_default(),
        answered: models.body.is_ok().then(|| "/v1/models".to_string()).into_iter().collect(),
        ..ServerInfo::default()
    };
    let root = server_root(target);
    let deadline = std::time::Instant::now() + PROBES_BUDGET;
    for path in VERSION_ENDPOINTS {
        let left = deadline.saturating_duration_since(std::time::Instant::now()).min(PROBE_TIMEOUT);
        if left.is_zero() {
            break;
        }
        let answer = get(client, &format!("{root}{path}"), headers, left).await;
        if server.server_header.is_none() {
            server.server_header = answer.server;
        }
        let Ok(body) = answer.body else { continue };
        server.answered.push(path.to_string());
        if identify(&mut server, path, &body) {
            break;
        }
    }
    let info = (!server.is_empty()).then_some(server);
    Probed { info, listing, models_url }
}

/// The server's own root: the target without its API root (`/v1`), so `http://h/openai/v1` and
/// `http://h/openai` both give `http://h/openai`, where a proxied server's `/version` would be.
fn server_root(target: &str) -> String {
    let base = target.trim_end_matches('/');
    base.strip_suffix("/v1").unwrap_or(base).to_string()
}

/// Fills software, version, build and details from `path`'s answer when it identifies a server;
/// whether it did. The endpoints are asked in [`VERSION_ENDPOINTS`]' order, the most particular
/// first: `/version` is the vaguest (another server may have one too).
fn identify(server: &mut ServerInfo, path: &str, answer: &Value) -> bool {
    let text = |key: &str| answer.get(key).and_then(scalar);
    match path {
        "/props"
            if answer.get("build_info").is_some() || answer.get("default_generation_settings").is_some() =>
        {
            server.software = Some("llama.cpp".into());
            server.build = text("build_info");
            // "b4321-abcdef12": the build number is the version llama.cpp releases are named by.
            server.version = server.build.as_ref().map(|b| b.split('-').next().unwrap_or(b).to_string());
            keep(server, answer, &["model_path", "total_slots"]);
            let n_ctx = answer.get("default_generation_settings").and_then(|g| g.get("n_ctx"));
            if let Some(n_ctx) = n_ctx.and_then(scalar) {
                server.details.insert("n_ctx".into(), n_ctx);
            }
        }
        "/info" if answer.get("model_id").is_some() && answer.get("version").is_some() => {
            server.software = Some("tgi".into());
            server.version = text("version");
            server.build = text("sha");
            keep(server, answer, &["model_id", "model_dtype", "max_total_tokens"]);
        }
        "/get_server_info" if answer.get("version").is_some() => {
            server.software = Some("sglang".into());
            server.version = text("version");
            keep(server, answer, &["model_path", "tp_size"]);
        }
        "/version" if text("version").is_some() => {
            server.version = text("version");
            // vLLM answers `/version` from uvicorn; another server names itself in its header.
            server.software = Some(match server.server_header.as_deref().map(product) {
                None | Some("uvicorn") => "vllm".into(),
                Some(name) => name.to_string(),
            });
        }
        _ => return false,
    }
    true
}

/// The product of a `Server` header: `runner-mock/0.4.0 (x)` → `runner-mock`.
fn product(header: &str) -> &str {
    header.split([' ', '/']).next().unwrap_or(header)
}

/// Copies `keys` of `value` that are strings or numbers into the details.
fn keep(server: &mut ServerInfo, value: &Value, keys: &[&str]) {
    for key in keys {
        if let Some(v) = value.get(*key).and_then(scalar) {
            server.details.insert((*key).to_string(), v);
        }
    }
}

/// A string, number or boolean as short text; `None` for anything else (or an empty string).
fn scalar(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    let text = short(&text);
    (!text.is_empty()).then_some(text)
}

/// A server's text as one printable line of at most [`FIELD_LIMIT`] characters.
fn short(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let clean = clean.trim();
    if clean.chars().count() <= FIELD_LIMIT {
        return clean.to_string();
    }
    let cut: String = clean.chars().take(FIELD_LIMIT - 1).collect();
    format!("{cut}…")
}

/// `GET url` with the run's headers: the `Server` header (whatever the status) and the JSON body
/// of a 2xx answer.
async fn get(client: &HttpClient, url: &str, headers: &TargetHeaders, timeout: Duration) -> Answer {
    let own = [("accept".to_string(), "application/json".to_string())];
    let request = Request {
        method: "GET".into(),
        url: url.to_string(),
        headers: headers.merged(&own).into_owned(),
        body: Bytes::new(),
        timeout: Some(timeout),
    };
    let mut response = match client.start(request).await {
        Ok(response) => response,
        Err(e) => return Answer { server: None, body: Err(e.to_string()) },
    };
    let server = response.headers.get(hyper::header::SERVER).and_then(|v| v.to_str().ok()).map(short);
    let server = server.filter(|s| !s.is_empty());
    // Read whatever the status: a connection whose answer was left unread is not reused.
    let bytes = response.read_to_end(BODY_LIMIT).await;
    let body = match bytes {
        _ if !(200..300).contains(&response.status) => Err(format!("HTTP {}", response.status)),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("the answer is not JSON: {e}")),
        Err(e) => Err(e.to_string()),
    };
    Answer { server, body }
}

/// The `id`s of an OpenAI-style model list, `{"data": [{"id": "…"}, …]}`, in order.
pub fn model_ids(value: &Value) -> Result<Vec<String>, String> {
    let data = value.get("data").and_then(Value::as_array).ok_or("the answer has no `data` list")?;
    data.iter()
        .map(|m| m.get("id").and_then(Value::as_str).map(str::to_string).ok_or("a listed model has no `id`"))
        .collect::<Result<_, _>>()
        .map_err(str::to_string)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// What the endpoints' answers (`(path, body)`, in the order asked) identify, as the probe
    /// reads them: up to the first that identifies a server.
    fn identified(header: Option<&str>, answers: &[(&str, Value)]) -> ServerInfo {
        let mut s = ServerInfo { server_header: header.map(str::to_string), ..ServerInfo::default() };
        for (path, body) in answers {
            if identify(&mut s, path, body) {
                break;
            }
        }
        s
    }

    #[test]
    fn llama_cpps_props_give_its_build_and_the_facts_worth_keeping_but_not_the_template() {
        let props = json!({
            "build_info": "b4321-abcdef12",
            "model_path": "/models/qwen.gguf",
            "total_slots": 4,
            "chat_template": "{% for m in messages %}…",
            "default_generation_settings": {"n_ctx": 8192, "params": {"seed": 1}}
        });
        let s = identified(Some("llama.cpp"), &[("/props", props), ("/version", json!({"version": "x"}))]);
        assert_eq!(s.software.as_deref(), Some("llama.cpp"));
        assert_eq!(s.version.as_deref(), Some("b4321"));
        assert_eq!(s.build.as_deref(), Some("b4321-abcdef12"));
        let details: Vec<(&str, &str)> = s.details.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(details, [("model_path", "/models/qwen.gguf"), ("n_ctx", "8192"), ("total_slots", "4")]);
    }

    #[test]
    fn tgi_sglang_and_vllm_are_told_apart_by_their_endpoints() {
        let tgi = json!({"model_id": "m", "version": "2.4.0", "sha": "abc", "model_dtype": "torch.float16"});
        let s = identified(None, &[("/props", json!({"error": "no"})), ("/info", tgi)]);
        assert_eq!(
            (s.software.as_deref(), s.version.as_deref(), s.build.as_deref()),
            (Some("tgi"), Some("2.4.0"), Some("abc"))
        );
        assert_eq!(s.details["model_dtype"], "torch.float16");

        let sglang = json!({"version": "0.4.1", "model_path": "org/m", "tp_size": 2, "server_args": {}});
        let s = identified(
            Some("uvicorn"),
            &[("/get_server_info", sglang), ("/version", json!({"version": "9"}))],
        );
        assert_eq!((s.software.as_deref(), s.version.as_deref()), (Some("sglang"), Some("0.4.1")));
        assert_eq!(s.details["tp_size"], "2");

        let s = identified(Some("uvicorn"), &[("/version", json!({"version": "0.6.3"}))]);
        assert_eq!((s.software.as_deref(), s.version.as_deref()), (Some("vllm"), Some("0.6.3")));
        let s = identified(Some("runner-mock/1.2.3"), &[("/version", json!({"version": "1.2.3"}))]);
        assert_eq!(s.software.as_deref(), Some("runner-mock"));

        // A 404 page or an unrelated JSON answer identifies nothing.
        let s = identified(
            Some("nginx"),
            &[("/props", json!({"detail": "Not Found"})), ("/version", json!([1]))],
        );
        assert_eq!((s.software, s.version), (None, None));
    }

    #[test]
    fn recorded_text_is_one_short_printable_line() {
        assert_eq!(short(" a\nb\tc "), "a b c");
        let long = "x".repeat(500);
        assert_eq!(short(&long).chars().count(), FIELD_LIMIT);
        assert!(short(&long).ends_with('…'));
        assert_eq!(scalar(&json!({"a": 1})), None);
        assert_eq!(scalar(&json!("")), None);
    }

    #[test]
    fn the_server_root_drops_the_api_root_and_keeps_a_proxy_prefix() {
        assert_eq!(server_root("http://h:8000"), "http://h:8000");
        assert_eq!(server_root("http://h:8000/v1/"), "http://h:8000");
        assert_eq!(server_root("http://h/openai"), "http://h/openai");
        assert_eq!(server_root("http://h/openai/v1"), "http://h/openai");
    }

    #[test]
    fn model_ids_reads_an_openai_list_and_names_what_is_wrong_with_others() {
        let list = json!({"object": "list", "data": [{"id": "a", "object": "model"}, {"id": "b"}]});
        assert_eq!(model_ids(&list).expect("a list"), ["a", "b"]);
        assert_eq!(model_ids(&json!({"data": []})).expect("an empty list"), Vec::<String>::new());
        assert!(model_ids(&json!({"models": []})).expect_err("no data").contains("`data`"));
        assert!(model_ids(&json!({"data": [{"name": "a"}]})).expect_err("no id").contains("`id`"));
    }
}
