// Module hooks for the SDK's tests: `runner-sdk:raw` resolves to the stand-in in ./raw.mjs.
export async function resolve(specifier, context, next) {
  if (specifier === "runner-sdk:raw") return { url: new URL("./raw.mjs", import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
