#!/usr/bin/env node
// The npm package carries its own copy of the repository's wit/ (build.mjs reads it at build
// time, and an installed package has no checkout around it). npm packs no symlinks, so
// `prepack` copies the files in and `postpack` removes them again:
//
//   node tools/pack-wit.mjs copy | remove
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const copy = join(sdk, "wit");
rmSync(copy, { recursive: true, force: true });
if (process.argv[2] === "copy") {
  cpSync(join(sdk, "..", "..", "wit"), copy, { recursive: true, filter: (f) => !f.includes("/.") });
} else if (process.argv[2] !== "remove") {
  console.error("usage: node tools/pack-wit.mjs copy|remove");
  process.exit(2);
}
