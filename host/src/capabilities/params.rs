//! `runner:scenario/params`: the run's inputs (`--param`, `--target`, `--seed`).

use super::HostState;
use crate::bindings::runner::scenario::params::Host;

impl Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.run.settings.params.get(&name).cloned())
    }

    async fn target(&mut self) -> wasmtime::Result<String> {
        Ok(self.run.settings.target.clone())
    }

    async fn seed(&mut self) -> wasmtime::Result<u64> {
        Ok(self.run.settings.seed)
    }
}
