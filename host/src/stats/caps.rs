//! What the host refused, cut or could not do on a guest's behalf during one phase — a metric
//! update with a name no report can render, a synthetic prompt over the length cap, a log line
//! over its byte cap, arrivals the dispatcher could not start before the phase's end, a panic
//! of the host inside an iteration — counted by kind, with the first occurrence's detail, so the
//! report says so once per kind instead of the run going on in silence.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// One kind's count and its first occurrence.
struct Cap {
    count: u64,
    first: String,
}

/// The phase's caps, by kind (a fixed text such as "custom-metric updates were refused").
#[derive(Default)]
pub struct Caps {
    kinds: Mutex<BTreeMap<&'static str, Cap>>,
}

impl Caps {
    /// Counts `n` events of `kind`; `detail` is asked for only the first time and says what the
    /// first one was. Returns how many of this kind came before.
    pub fn record(&self, kind: &'static str, n: u64, detail: impl FnOnce() -> String) -> u64 {
        let mut kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        match kinds.get_mut(kind) {
            Some(cap) => {
                let before = cap.count;
                cap.count = cap.count.saturating_add(n);
                before
            }
            None => {
                kinds.insert(kind, Cap { count: n, first: detail() });
                0
            }
        }
    }

    /// How many events of `kind` were counted.
    pub fn count(&self, kind: &str) -> u64 {
        self.kinds.lock().unwrap_or_else(|p| p.into_inner()).get(kind).map_or(0, |c| c.count)
    }

    /// One note per kind: `phase NAME: N KIND (first: DETAIL)`.
    pub fn notes(&self, phase: &str) -> Vec<String> {
        let kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        kinds
            .iter()
            .map(|(kind, c)| format!("phase {phase}: {} {kind} (first: {})", c.count, c.first))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_one_note_with_its_count_and_first_detail() {
        let caps = Caps::default();
        assert_eq!(caps.record("things were cut", 1, || "the first".into()), 0);
        assert_eq!(caps.record("things were cut", 2, || unreachable!("asked once")), 1);
        caps.record("others were refused", 1, || "why".into());
        assert_eq!(caps.count("things were cut"), 3);
        assert_eq!(
            caps.notes("p"),
            vec![
                "phase p: 1 others were refused (first: why)",
                "phase p: 3 things were cut (first: the first)"
            ]
        );
    }
}
