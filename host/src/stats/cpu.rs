//! The runner's own CPU time (user + system, the whole process), read at a phase's start and end
//! so its report says how busy the load generator was: a worker of a distributed run at a full
//! core is the bottleneck, not the server (`runner merge` flags it).

use std::time::Duration;

/// CPU time the process has used so far; `None` where the OS does not say.
pub fn process_cpu() -> Option<Duration> {
    // SAFETY: getrusage only writes the struct it is handed, which is zeroed and ours.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer is getrusage's documented use.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Some(tv(usage.ru_utime) + tv(usage.ru_stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_loop_shows_as_cpu_time() {
        let before = process_cpu().expect("getrusage works on Linux");
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let used = process_cpu().expect("getrusage works on Linux") - before;
        // Spinning 50 ms of wall time on one thread costs about as much CPU; allow for a slow
        // scheduler (the thread may be descheduled part of the time) and the tick's granularity.
        assert!(used >= Duration::from_millis(10), "{used:?}");
    }
}
