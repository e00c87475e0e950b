//! `llm.call-many`: several completion calls sent at once and joined, the way an agent fans out
//! parallel sub-requests. A VU's calls are otherwise one at a time (`call` returns when the
//! answer is complete), so this is the one place a VU has several requests in flight.
//!
//! Each request is built, sent, timed and recorded exactly as by `call`: the same checks, the
//! same client, and its measurements recorded the moment it ends (not when the slowest ends), so
//! the time series puts each where it happened. The first request that can be sent goes over the
//! VU's own connection to the target, the others through the run's pooled client, which opens
//! (and keeps) a connection per request in flight; with `--http2` they are multiplexed. The calls
//! run inside the caller's task, not spawned: they borrow the VU's connection and settings, and
//! the run's stop, which drops the VU's call, drops them all.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Instant;

use super::{Prepared, for_guest, record, request_tags};
use crate::bindings::runner::scenario::llm::{Completion, Error, PromptSource, Request};
use crate::capabilities::{HostState, limits};
use crate::client::http::Connections;
use crate::client::openai::{self, LlmError};
use crate::error_class::ErrorClass;

impl HostState {
    /// Sends `reqs` at once and returns their outcomes in order, once every one has ended. A list
    /// out of [`limits::parallel_calls`]'s bounds is refused whole: every request is answered
    /// (and recorded, with its tags, as `call` records a refusal) `invalid-request`, none is
    /// built or sent.
    pub(super) async fn call_many_at_once(&mut self, reqs: Vec<Request>) -> Vec<Result<Completion, Error>> {
        let synthetic: u64 = reqs
            .iter()
            .map(|r| match &r.prompt_source {
                PromptSource::Synthetic(spec) => u64::from(spec.tokens),
                _ => 0,
            })
            .sum();
        if let Err(message) = limits::parallel_calls(reqs.len(), synthetic) {
            let refused = LlmError { class: ErrorClass::InvalidRequest, status: None, message };
            let stats = self.stats().clone();
            let results: Vec<_> = reqs
                .into_iter()
                .map(|r| {
                    let result = Err(refused.clone());
                    record(&stats, &request_tags(r.tags), Instant::now(), &result);
                    result
                })
                .collect();
            self.after_all(&results).await;
            return results.into_iter().map(for_guest).collect();
        }
        let prepared: Vec<Prepared> = reqs.into_iter().map(|r| self.prepare(r)).collect();
        let stats = self.stats().clone();
        let settings = &self.run.settings;
        let pooled = &self.run.http;
        let mut own = self.plain_http.own(settings, pooled);
        let calls: Vec<_> = prepared
            .into_iter()
            .map(|Prepared { extra, request }| {
                let own = if request.is_ok() { own.take() } else { None };
                let stats = &stats;
                async move {
                    let started = Instant::now();
                    let result = match request {
                        Ok(request) => {
                            let conns = Connections { pooled, own };
                            openai::call(conns, &settings.target, &settings.headers, &request).await
                        }
                        Err(error) => Err(error),
                    };
                    record(stats, &extra, started, &result);
                    result
                }
            })
            .collect();
        let results = join_all(calls).await;
        self.after_all(&results).await;
        results.into_iter().map(for_guest).collect()
    }

    /// The back-off and error messages of a batch (see `HostState::after_batch`).
    async fn after_all(&mut self, results: &[Result<openai::Completion, LlmError>]) {
        let failures: Vec<(ErrorClass, &str)> =
            results.iter().filter_map(|r| r.as_ref().err()).map(|e| (e.class, e.message.as_str())).collect();
        self.after_batch(&failures, results.len() - failures.len()).await;
    }
}

/// Runs every future to its end, concurrently, in the caller's task; their outputs in order.
/// Each wake-up polls every unfinished one again: simple, and cheap for the few calls an agent
/// step fans out (the list is bounded by [`limits::MAX_PARALLEL_CALLS`]).
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut running: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = running.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (future, output) in running.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    // Every slot is filled once the poll above is ready.
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::join_all;

    #[tokio::test]
    async fn futures_run_side_by_side_and_keep_their_order() {
        let began = Instant::now();
        let waits = [150u64, 50, 100];
        let outputs = join_all(
            waits
                .iter()
                .map(|&ms| async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    ms
                })
                .collect(),
        )
        .await;
        assert_eq!(outputs, waits, "in the order given, not the order done");
        // Side by side, the join takes the longest wait (150 ms), not their sum (300 ms).
        let took = began.elapsed();
        assert!(took >= Duration::from_millis(150) && took < Duration::from_millis(260), "{took:?}");
        assert!(join_all(Vec::<std::future::Ready<u8>>::new()).await.is_empty());
    }
}
