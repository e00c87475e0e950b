//! Test fixture `gpu-bound`: a concurrency ramp that reads `gpu.latest()` between its steps and
//! stops as soon as the memory in use on any device passes `bound_mib`. Each step is a
//! constant-VU phase `step-c<vus>`; the memory seen is recorded as the trend `gpu_memory_mib`,
//! and a stop as the counter `ramp_stopped`.

use runner_sdk::{Context, Info, Phase, Scenario, gpu, llm, load, log, metrics, params};

struct GpuBound;

impl Scenario for GpuBound {
    fn describe() -> Info {
        Info::new(
            "gpu-bound",
            env!("CARGO_PKG_VERSION"),
            "Test fixture: a ramp that stops when the GPU memory in use passes a bound.",
        )
        .param("levels", "1,2,3", "VUs of each step, in order.")
        .param("step", "300ms", "How long each step runs.")
        .param(
            "bound_mib",
            "10000",
            "Stop the ramp once a device uses more memory than this, in MiB.",
        )
    }

    fn drive() -> Result<(), String> {
        let bound: f64 = params::parse("bound_mib")?;
        let step = params::duration("step")?;
        for (i, vus) in params::list::<u32>("levels")?.into_iter().enumerate() {
            // After the first step the sampler has read the GPU at least once.
            if i > 0 {
                for s in gpu::latest() {
                    if let Some(m) = s.memory_used_mib {
                        metrics::trend("gpu_memory_mib", m);
                        log::info(&format!("{} #{}: {m} MiB at {} ms", s.source, s.device, s.at_ms));
                    }
                }
                if let Some(used) = gpu::max_memory_used_mib().filter(|m| *m > bound) {
                    log::warn(&format!(
                        "GPU memory {used} MiB passed {bound} MiB: ramp stopped before {vus} VUs"
                    ));
                    metrics::count("ramp_stopped", 1);
                    break;
                }
            }
            load::run(Phase::constant_vus(&format!("step-c{vus}"), vus, step))?;
        }
        Ok(())
    }

    fn iteration(_ctx: &Context) -> Result<(), String> {
        llm::chat("hello").max_tokens(4).send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(GpuBound);
