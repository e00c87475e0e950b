//! Checks, natively, that `export_scenario!` wires a `Scenario` to the generated `Guest` export:
//! `describe` is converted to the WIT record and `iteration` receives the context's tags.

use runner_sdk::bindings::exports::runner::scenario::guest::{Guest, IterationContext};
use runner_sdk::{Context, Info, Scenario};

struct Echo;

impl Scenario for Echo {
    fn describe() -> Info {
        Info::new("echo", "1.2.3", "test").param("mode", "ok", "what to do")
    }

    fn drive() -> Result<(), String> {
        Err("drive is not run natively".into())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        match ctx.tag("mode") {
            Some("ok") => Ok(()),
            other => Err(format!("{}/{}/{}: mode {other:?}", ctx.phase, ctx.vu, ctx.iteration)),
        }
    }
}

runner_sdk::export_scenario!(Echo);

#[test]
fn describe_goes_through_the_export() {
    let info = <__RunnerSdkExport as Guest>::describe();
    assert_eq!((info.name.as_str(), info.version.as_str()), ("echo", "1.2.3"));
    assert_eq!(info.params.len(), 1);
    assert_eq!((info.params[0].name.as_str(), info.params[0].default.as_str()), ("mode", "ok"));
}

#[test]
fn iteration_gets_the_context() {
    let ctx = |mode: &str| IterationContext {
        phase: "p1".into(),
        tags: vec![("mode".into(), mode.into())],
        vu: 4,
        iteration: 9,
    };
    assert_eq!(<__RunnerSdkExport as Guest>::iteration(ctx("ok")), Ok(()));
    assert_eq!(
        <__RunnerSdkExport as Guest>::iteration(ctx("bad")),
        Err("p1/4/9: mode Some(\"bad\")".to_owned())
    );
    assert!(<__RunnerSdkExport as Guest>::drive().is_err());
}
