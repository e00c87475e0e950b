// What `npm pack` puts in the published package: what a user's build needs (the bin, the SDK
// sources, their types and the WIT build.mjs reads) and nothing of the checkout's own (modules,
// tests, the test stand-ins, pack tooling). scripts/js-sdk-install.sh goes further: it installs
// the tarball into a fresh project and builds a component with the installed bin (a minute).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const sdk = fileURLToPath(new URL("..", import.meta.url));
const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/** The file list of `npm pack --dry-run` (its prepack/postpack scripts run as in a real pack). */
function packedFiles() {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--silent"], { cwd: sdk, encoding: "utf8" });
  // Lifecycle scripts may print before the JSON.
  const [pack] = JSON.parse(out.slice(out.indexOf("[")));
  return new Set(pack.files.map((f) => f.path));
}

test("the package holds the bin, the sources, the types and the WIT, and nothing else", () => {
  const files = packedFiles();
  const strip = (p) => p.replace(/^\.\//, "");
  const needed = [
    strip(manifest.bin["runner-sdk-build"]),
    strip(manifest.main),
    strip(manifest.types),
    strip(manifest.exports["."].default),
    strip(manifest.exports["."].types),
    "types/scenario.d.ts",
    "README.md",
    "package.json",
  ];
  for (const f of needed) assert.ok(files.has(f), `${f} is packed (${[...files].join(", ")})`);
  for (const f of readdirSync(new URL("../src", import.meta.url))) assert.ok(files.has(`src/${f}`), `src/${f}`);
  // Every WIT file of the checkout, under the wit/ build.mjs looks in first.
  const wit = readdirSync(new URL("../../../wit", import.meta.url)).filter((f) => f.endsWith(".wit"));
  assert.ok(wit.includes("world.wit"));
  for (const f of wit) assert.ok(files.has(`wit/${f}`), `wit/${f} is packed`);
  const stray = [...files].filter((f) => /^(node_modules|test|testing|tools)\//.test(f) || f === "package-lock.json");
  assert.deepEqual(stray, []);
  assert.ok(!existsSync(new URL("../wit", import.meta.url)), "postpack removed the WIT copy");
});

test("the bin is build.mjs, runnable as a script", () => {
  assert.equal(manifest.bin["runner-sdk-build"], "build.mjs");
  assert.ok(readFileSync(new URL("../build.mjs", import.meta.url), "utf8").startsWith("#!/usr/bin/env node\n"));
  assert.equal(manifest.private, undefined, "a private package cannot be published");
});
