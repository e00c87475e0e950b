//! Test fixture `wrong-version`: a component whose WIT package is `runner:scenario@0.2.0`, with
//! the same `guest` shape as the real contract, so the host's version check can be tested.
//! It imports only `log`, from an inline copy of the WIT rather than `wit/`.

wit_bindgen::generate!({
    inline: r#"
        package runner:scenario@0.2.0;

        interface types {
            type tags = list<tuple<string, string>>;
        }

        interface log {
            enum level { debug, info, warn, error }
            log: func(level: level, message: string);
        }

        interface guest {
            use types.{tags};
            record param { name: string, default: string, help: string }
            record info { name: string, version: string, description: string, params: list<param> }
            record iteration-context { phase: string, tags: tags, vu: u32, iteration: u64 }
            describe: func() -> info;
            drive: func() -> result<_, string>;
            iteration: func(ctx: iteration-context) -> result<_, string>;
        }

        world scenario {
            import log;
            export guest;
        }
    "#,
    world: "scenario",
});

use exports::runner::scenario::guest::{Guest, Info, IterationContext};
use runner::scenario::log::{Level, log};

struct WrongVersion;

impl Guest for WrongVersion {
    fn describe() -> Info {
        Info {
            name: "wrong-version".into(),
            version: "0.2.0".into(),
            description: "Test fixture built against runner:scenario@0.2.0.".into(),
            params: Vec::new(),
        }
    }

    fn drive() -> Result<(), String> {
        log(Level::Warn, "wrong-version: drive should never run on a 0.1 host");
        Ok(())
    }

    fn iteration(_ctx: IterationContext) -> Result<(), String> {
        Ok(())
    }
}

export!(WrongVersion);
