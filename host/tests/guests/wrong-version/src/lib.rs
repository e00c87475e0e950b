//! Test fixture `wrong-version`: a component whose WIT package is `runner:scenario@0.5.0`, with
//! the same `guest` shape as the real contract, so the host's version check can be tested.
//! It imports only `log`, from an inline copy of the WIT rather than `wit/`.

wit_bindgen::generate!({
    inline: r#"
        package runner:scenario@0.5.0;

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

const FIXTURE_NAME: &str = "wrong-version";
const WIT_VERSION: &str = "0.4.0";

include!("../../version_fixture.rs");
