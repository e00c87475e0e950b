//! `runner`: a WebAssembly-scriptable benchmark runner for LLM inference servers.
//!
//! A scenario is a Wasm component (see `wit/`) that scripts traffic; this crate is the native host
//! that runs it. The modules mirror the architecture:
//!
//! - [`bindings`]: the Rust side of the WIT contract, generated from `wit/`.
//! - [`engine`]: wasmtime set-up, loading and caching components, the WIT version check, and
//!   scenario instances as VUs.
//! - [`capabilities`]: one module per WIT interface (`clock`, `log`, `params`, `metrics`, `http`,
//!   `llm`, `load`, `gpu`, `data`), each implementing what the guest imports.
//! - [`load`]: the scheduler that runs phases natively on many virtual users (VUs), knowing
//!   nothing of Wasm: it takes a VU factory.
//! - [`stats`]: HdrHistogram-backed recording of every measurement, per phase and tag set.
//! - [`client`]: outbound HTTP with host-side timings, the SSE parser and OpenAI-compatible calls.
//! - [`deadline`]: the re-armable timer bounding each request on an own connection and each iteration.
//! - [`sandbox`]: where a scenario's plain HTTP may go (origins: scheme, host and port).
//! - [`error_class`]: the one classification of request failures, shared by clients, stats and WIT.
//! - [`data`]: datasets (`--data`), synthetic prompts and token counts (`--tokenizer`).
//! - [`mock`]: the built-in simulated OpenAI-compatible server.
//! - [`telemetry`]: GPU (NVML) and server (Prometheus) samples aggregated per phase.
//! - [`timeline`]: the run as it goes: `timeseries.jsonl` and live progress, once a second.
//! - [`outputs`]: live outputs of a run (`--dashboard`): where results go while it runs.
//! - [`k8s`]: `runner k8s`, a distributed run as Kubernetes manifests (written, never applied).
//! - [`source`]: where a scenario comes from (a file, shipped in this binary, an OCI registry)
//!   and the digest of what runs.
//! - [`run`]: one `runner play`, in stages: from a `.wasm` file to a run folder with the reports.

pub mod bindings;
pub mod capabilities;
pub mod client;
pub mod data;
pub mod deadline;
pub mod engine;
pub mod error_class;
pub mod k8s;
pub mod load;
pub mod mock;
pub mod new;
pub mod oci;
pub mod outputs;
pub mod run;
pub mod sandbox;
pub mod source;
pub mod stats;
pub mod telemetry;
pub mod timeline;
