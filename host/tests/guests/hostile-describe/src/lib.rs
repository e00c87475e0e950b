//! Test fixture `hostile-describe`: a scenario whose `describe()` declares more than the host
//! accepts (10,000 parameters), so that `runner play` and `runner inspect` refuse it in one
//! line instead of printing, merging and recording all of it. `describe` cannot read parameters,
//! so this is a crate of its own.

use runner_sdk::{Context, Info, Phase, Scenario, load};

struct HostileDescribe;

impl Scenario for HostileDescribe {
    fn describe() -> Info {
        let mut info =
            Info::new("hostile-describe", env!("CARGO_PKG_VERSION"), "Declares 10,000 parameters.");
        for i in 0..10_000 {
            info = info.param(&format!("p{i}"), "1", "One of far too many.");
        }
        info
    }

    fn drive() -> Result<(), String> {
        load::run(Phase::iterations("hostile-describe", 1, 1))?;
        Ok(())
    }

    fn iteration(_ctx: &Context) -> Result<(), String> {
        Ok(())
    }
}

runner_sdk::export_scenario!(HostileDescribe);
