// The body shared by the WIT-version fixtures: each crate generates bindings from its own inline
// copy of the WIT (at its own version), defines FIXTURE_NAME and WIT_VERSION, then includes this.

use exports::runner::scenario::guest::{Guest, Info, IterationContext};
use runner::scenario::log::{Level, log};

struct Fixture;

impl Guest for Fixture {
    fn describe() -> Info {
        Info {
            name: FIXTURE_NAME.into(),
            version: WIT_VERSION.into(),
            description: format!("Test fixture built against runner:scenario@{WIT_VERSION}."),
            params: Vec::new(),
        }
    }

    fn drive() -> Result<(), String> {
        log(Level::Info, &format!("{FIXTURE_NAME}: drive ran"));
        Ok(())
    }

    fn iteration(_ctx: IterationContext) -> Result<(), String> {
        Ok(())
    }
}

export!(Fixture);
