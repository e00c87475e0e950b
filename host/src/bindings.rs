//! Host bindings generated from `wit/`: the Rust types of the contract and the `Host` traits the
//! capabilities implement. Every import is async (the host implements them on tokio) and
//! trappable (a host failure becomes a trap, not a panic).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "scenario",
    imports: { default: async | trappable },
    exports: { default: async },
});
