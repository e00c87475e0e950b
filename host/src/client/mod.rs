//! Outbound HTTP for the host: a pooled, timed HTTP client ([`http`]), an incremental
//! server-sent-events parser ([`sse`]) and one measured OpenAI-compatible call ([`openai`]).
//!
//! Besides itself, this module uses only two leaf modules of the crate, which depend on nothing:
//! [`crate::error_class`] (the failure classes both clients report) and [`crate::deadline`] (the
//! timer bounding each request on an own connection). With them it can be compiled on its own.

pub mod http;
pub mod openai;
pub mod sse;
#[cfg(test)]
mod sse_props;
#[cfg(test)]
pub(crate) mod test_support;
