#!/usr/bin/env node
// Builds a JavaScript scenario into a `runner:scenario/scenario` Wasm component:
//
//   node build.mjs scenario.js -o scenario.wasm [--engine quickjs|starlingmonkey] [--wit DIR]
//   runner-sdk-build scenario.js -o scenario.wasm    (the same, as the npm package's bin)
//
// 1. rolldown bundles the scenario with the SDK (src/) and any npm packages it imports into one
//    ES module; the WIT imports (`runner:scenario/*`) stay external.
// 2. The engine turns that module into a component: QuickJS (componentize-qjs, the default: see
//    docs/bench-results/guest-js.md for why) or StarlingMonkey (@bytecodealliance/componentize-js).
//
// `node build.mjs --types` regenerates types/ (TypeScript declarations of the WIT) with jco.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const ENGINES = ["quickjs", "starlingmonkey"];
// The WIT: the npm package's own copy (wit/, put there by `npm pack`), else the checkout's.
const WIT = [join(here, "wit"), resolve(here, "../../wit")].find((dir) => existsSync(join(dir, "world.wit"))) ?? join(here, "wit");

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    "usage: runner-sdk-build (or node build.mjs) SCENARIO.js -o OUT.wasm [--engine quickjs|starlingmonkey] [--wit DIR]\n" +
      "       node build.mjs --types [--wit DIR]   (in the checkout: regenerates types/)",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = { engine: "quickjs", wit: WIT, types: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "-o" || a === "--out") args.out = value();
    else if (a === "--engine") args.engine = value();
    else if (a === "--wit") args.wit = resolve(value());
    else if (a === "--types") args.types = true;
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (args.input) usage(`one scenario at a time (got ${args.input} and ${a})`);
    else args.input = a;
  }
  if (!args.types && (!args.input || !args.out)) usage("a scenario and -o OUT.wasm are needed");
  if (!ENGINES.includes(args.engine)) usage(`unknown engine ${args.engine} (${ENGINES.join(" or ")})`);
  return args;
}

/** The `runner:scenario` version of the WIT and the interfaces its world imports. */
function readWorld(wit) {
  let text;
  try {
    text = readFileSync(join(wit, "world.wit"), "utf8");
  } catch (e) {
    throw new Error(`cannot read the WIT at ${wit} (${e.code ?? e.message}): pass --wit DIR`);
  }
  const m = /package\s+runner:scenario@([0-9A-Za-z.+-]+)\s*;/.exec(text);
  if (!m) throw new Error(`${wit}/world.wit has no \`package runner:scenario@VERSION;\` line`);
  const interfaces = [...text.matchAll(/^\s*import\s+([a-z][a-z0-9-]*)\s*;/gm)].map((i) => i[1]);
  return { version: m[1], interfaces };
}

// The SDK's only engine-specific module: how each engine exposes the WIT imports (a default
// export per interface in QuickJS, named exports in StarlingMonkey), how it spells an absent
// option (null / undefined) and which JS type it wants for u64 (number / BigInt).
function rawModule(engine, { version, interfaces }) {
  // `load-x` → `loadX`: the JS name of each interface's namespace.
  const ids = interfaces.map((i) => i.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase()));
  const lines = interfaces.map((i, k) =>
    engine === "quickjs"
      ? `import ${ids[k]} from "runner:scenario/${i}@${version}";`
      : `import * as ${ids[k]} from "runner:scenario/${i}@${version}";`,
  );
  lines.push(`export { ${ids.join(", ")} };`);
  lines.push(`export const ENGINE = ${JSON.stringify(engine)};`);
  lines.push(`export const none = ${engine === "quickjs" ? "null" : "undefined"};`);
  if (engine === "quickjs") {
    // QuickJS carries u64 as a double: exact below 2^53 only. Seeds (any 64-bit value) are cut
    // to their low 53 bits so they cross exactly instead of rounding, possibly past 2^64.
    lines.push("export const u64 = (n) => Number(n);");
    lines.push("export const seed = (b) => Number(BigInt(b) & 0x1fffffffffffffn);");
  } else {
    lines.push("export const u64 = (n) => BigInt(n);");
    lines.push("export const seed = (b) => BigInt.asUintN(64, BigInt(b));");
  }
  return lines.join("\n");
}

/** Imports one of the SDK's build tools, saying how to install them when they are missing. */
async function need(name) {
  try {
    return await import(name);
  } catch (e) {
    if (e.code === "ERR_MODULE_NOT_FOUND") {
      throw new Error(`${name} is not installed: run \`npm install\` in ${here} once`);
    }
    throw e;
  }
}

async function bundle(input, engine, world) {
  const { rolldown } = await need("rolldown");
  const RAW = "\0runner-sdk:raw";
  const build = await rolldown({
    input: resolve(input),
    platform: "neutral",
    logLevel: "warn",
    external: [/^runner:scenario\//, /^wasi:/],
    plugins: [
      {
        name: "runner-sdk",
        resolveId(id) {
          if (id === "runner-sdk:raw") return RAW;
          if (id === "runner-sdk") return join(here, "src", "index.js");
          return null;
        },
        load(id) {
          return id === RAW ? rawModule(engine, world) : null;
        },
      },
    ],
  });
  const { output } = await build.generate({ format: "esm" });
  await build.close();
  const chunk = output[0];
  if (!chunk.exports.includes("guest")) {
    throw new Error(`${input} does not export \`guest\`: end it with \`export const guest = scenario({...})\``);
  }
  return chunk.code;
}

async function componentize(engine, source, wit, input) {
  if (engine === "quickjs") {
    const { componentize } = await need("componentize-qjs");
    // sync: the host runs components without component-model async. stubWasi: WASI imports
    // become traps inside the component, so it imports nothing but runner:scenario (the host
    // grants an empty WASI anyway; QuickJS needs none of it after its build-time snapshot).
    const r = await componentize({ witPath: wit, jsSource: source, jsPath: resolve(input), world: "scenario", sync: true, stubWasi: true });
    return r.component;
  }
  const { componentize } = await need("@bytecodealliance/componentize-js");
  // componentize-js reads the source from a file; `http` and `fetch-event` would link wasi:http.
  const dir = mkdtempSync(join(tmpdir(), "runner-js-"));
  try {
    const sourcePath = join(dir, "scenario.js");
    writeFileSync(sourcePath, source);
    const r = await componentize({ sourcePath, witPath: wit, worldName: "scenario", disableFeatures: ["http", "fetch-event"] });
    return r.component;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function types(wit) {
  // jco's bundled WASI shim starts with no preopened directories: grant it the filesystem so
  // it can read wit/ (this is why `jco types` fails on the command line here).
  const base = join(here, "node_modules/@bytecodealliance/jco-transpile/");
  const shim = await import(pathToFileURL(join(base, "node_modules/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js")));
  shim._setPreopens({ "/": "/" });
  const { generateGuestTypes, writeFiles } = await import(pathToFileURL(join(base, "dist/index.js")));
  const out = join(here, "types") + "/";
  rmSync(out, { recursive: true, force: true });
  await writeFiles(await generateGuestTypes(wit, { worldName: "scenario", outDir: out }), false);
  console.error(`types of ${wit} written to ${out}`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.types) return types(args.wit);
  const world = readWorld(args.wit);
  const began = performance.now();
  const source = await bundle(args.input, args.engine, world);
  const component = await componentize(args.engine, source, args.wit, args.input);
  writeFileSync(args.out, component);
  const secs = ((performance.now() - began) / 1000).toFixed(1);
  console.error(`${args.out}: ${(component.length / 1e6).toFixed(2)} MB, ${args.engine}, runner:scenario@${world.version}, ${secs} s`);
}

main().catch((e) => {
  console.error(`error: ${e.message ?? e}`);
  process.exit(1);
});
