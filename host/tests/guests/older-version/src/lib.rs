//! Test fixture `older-version`: a component built against `runner:scenario@0.1.0`, a release
//! of the contract before the breaking 0.2.0, so the test can show it is refused cleanly.
//! It imports only `log`, from an inline copy of the WIT rather than `wit/`.

wit_bindgen::generate!({
    inline: r#"
        package runner:scenario@0.1.0;

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

const FIXTURE_NAME: &str = "older-version";
const WIT_VERSION: &str = "0.1.0";

include!("../../version_fixture.rs");
