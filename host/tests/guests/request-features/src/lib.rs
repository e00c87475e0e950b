//! Test fixture `request-features`: one phase of `vus` VUs × `iterations`, each iteration one
//! request of the llm request side chosen by the `mode` parameter:
//!
//! - `session`: a chat call with `x-session-id: vu-<VU>`.
//! - `max-completion`: a chat call limited by `max_completion_tokens` (`max_tokens`), checking
//!   the answer's length.
//! - `image`: a chat call with the `image` parameter's URL on its message.
//! - `synthetic-image`: a synthetic prompt with the `image` parameter's URL.
//! - `dataset`: row `iteration` of dataset `data`, whose images the host sends.
//! - `embed`: two inline texts, tagged `api=embeddings`; checks two vectors and records their length.
//! - `embed-dataset` / `embed-synthetic`: `batch` texts made on the host, checked.
//! - `mixed`: a chat call tagged `api=chat` and an embeddings call tagged `api=embeddings`.
//! - `secret-header`: a chat call whose `Authorization` header carries row 0 of dataset `data`.
//! - `bad-header`: the same secret in a header value with a newline: the call must fail.

use runner_sdk::{Context, Info, Phase, Scenario, data, llm, load, metrics, params};

struct RequestFeatures;

/// Row 0 of the `data` dataset's prompt: a secret the test hands the run in a file.
fn secret() -> Result<String, String> {
    Ok(data::get(&params::get_or("data", "d"), 0)?.prompt)
}

impl Scenario for RequestFeatures {
    fn describe() -> Info {
        Info::new(
            "request-features",
            env!("CARGO_PKG_VERSION"),
            "Test fixture: the llm request side on demand.",
        )
        .llm_params()
        .param("mode", "session", "What each iteration sends (see the crate docs).")
        .param("vus", "2", "VUs of the phase.")
        .param("iterations", "3", "Iterations per VU.")
        .param("max_tokens", "5", "The answer-length limit.")
        .param("image", "", "An image URL for the image modes.")
        .param("data", "d", "The dataset the dataset modes read.")
        .param("batch", "4", "Texts per embeddings request of the host-made modes.")
    }

    fn drive() -> Result<(), String> {
        let phase = Phase::iterations("request", params::parse("vus")?, params::parse("iterations")?);
        load::run(phase)?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let max_tokens: u32 = params::parse("max_tokens")?;
        let batch: u32 = params::parse("batch")?;
        let image = params::get_or("image", "");
        let dataset = params::get_or("data", "d");
        match params::get_or("mode", "session").as_str() {
            "session" => {
                let session = format!("vu-{}", ctx.vu);
                llm::chat("hello there").max_tokens(max_tokens).header("x-session-id", session).send()?;
            }
            "max-completion" => {
                let c = llm::chat("hi").max_completion_tokens(max_tokens).send()?;
                metrics::check("answer as long as asked", c.output_tokens == max_tokens);
            }
            "image" => {
                llm::chat("what is in it").image(image).max_tokens(max_tokens).send()?;
            }
            "synthetic-image" => {
                let seed = ctx.seed(params::seed());
                llm::chat_synthetic(16, seed).image(image).max_tokens(max_tokens).send()?;
            }
            "dataset" => {
                llm::chat_from_dataset(&dataset, ctx.iteration).max_tokens(max_tokens).send()?;
            }
            "embed" => {
                let e = llm::embed(["one two three", "four five"]).tag("api", "embeddings").send()?;
                metrics::check("one vector a text", e.vectors == 2);
                metrics::trend("dimensions", f64::from(e.dimensions));
            }
            "embed-dataset" => {
                let e = llm::embed_from_dataset(&dataset, ctx.iteration * u64::from(batch))
                    .batch(batch)
                    .send()?;
                metrics::check("one vector a text", e.vectors == batch);
            }
            "embed-synthetic" => {
                let e = llm::embed_synthetic(32, ctx.seed(params::seed())).batch(batch).send()?;
                metrics::check("one vector a text", e.vectors == batch);
            }
            "mixed" => {
                llm::chat("hi").max_tokens(max_tokens).tag("api", "chat").send()?;
                llm::embed(["one two three"]).tag("api", "embeddings").send()?;
            }
            "secret-header" => {
                let bearer = format!("Bearer {}", secret()?);
                llm::chat("hi").max_tokens(max_tokens).header("Authorization", bearer).send()?;
            }
            "bad-header" => {
                let value = format!("{}\n", secret()?);
                llm::chat("hi").max_tokens(max_tokens).header("x-api-key", value).send()?;
            }
            other => return Err(format!("request-features: unknown mode {other:?}")),
        }
        Ok(())
    }
}

runner_sdk::export_scenario!(RequestFeatures);
