//! `runner-contract`: what a guest and the host must agree on beyond the WIT types.
//!
//! The WIT (`wit/`) fixes the shapes that cross the boundary; a few rules live in the values
//! instead: the grammar of a duration written as text ([`duration`]), how a `--param` value is
//! checked against its declared kind and which kind a default suggests ([`params`]), and how
//! seeds are mixed ([`seed`]). The host checks parameters and builds prompts with this crate and
//! the Rust SDK (`runner-sdk`) re-exports it, so the two cannot differ.
//!
//! The JavaScript and Python SDKs implement the same rules in their own languages. `cases.json`,
//! next to this crate's manifest, lists the cases that pin them down (with the SDK-only rules:
//! the `model` fallback and the error-class names); this crate's tests and the three SDKs' tests
//! all read it, so no implementation can drift from the others unnoticed.
//!
//! Pure Rust with no host imports: it builds natively and for `wasm32-wasip2`.

#![warn(missing_docs)]

pub mod duration;
pub mod lengths;
pub mod params;
pub mod seed;
