import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Loads a package's built `dist/<entry>.js` (ESM) and `dist/<entry>.cjs` (CJS) in a
 * plain Node process, outside vitest's module graph, and returns the sorted export
 * names of each. Catches what vitest cannot see, e.g. fp-ts directory imports.
 */
export function loadBuilt(packageDir: URL, entry = "index"): { esm: string[]; cjs: string[] } {
  const dir = fileURLToPath(packageDir);
  const esmUrl = pathToFileURL(join(dir, `dist/${entry}.js`)).href;
  const cjsPath = join(dir, `dist/${entry}.cjs`);
  const run = (code: string, type: string): string[] =>
    JSON.parse(
      execFileSync(process.execPath, [`--input-type=${type}`, "-e", code], { encoding: "utf8" }),
    );
  return {
    esm: run(
      `const m = await import(${JSON.stringify(esmUrl)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
      "module",
    ),
    cjs: run(
      `const m = require(${JSON.stringify(cjsPath)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
      "commonjs",
    ),
  };
}
