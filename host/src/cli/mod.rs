//! Parts of the `runner` command line that are long enough for a file of their own (the binary's
//! modules; the library knows nothing of them).

pub mod k8s;
pub mod mock_args;
pub mod registry;
pub mod report;
pub mod scenarios;
pub mod values;
