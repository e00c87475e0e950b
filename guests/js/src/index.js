// `runner-sdk` for JavaScript: the idiomatic layer over the `runner:scenario` WIT imports, one
// namespace per interface, mirroring the Rust SDK (guests/rust). See ../README.md.

export * as clock from "./clock.js";
export * as data from "./data.js";
export * as gpu from "./gpu.js";
export * as http from "./http.js";
export * as lengths from "./lengths.js";
export * as llm from "./llm.js";
export * as load from "./load.js";
export * as log from "./log.js";
export * as metrics from "./metrics.js";
export * as params from "./params.js";
export * as prompt from "./prompt.js";
export { phase, Phase } from "./load.js";
export { Context, Info, info, kindOfDefault, scenario } from "./scenario.js";
export { ScenarioError, parseDuration } from "./util.js";
