// Builds the browser assets: static/src/editor.js -> static/build/editor.js
// (one minified ES module) and static/src/sw.js -> static/build/sw.js (with
// the build hash in its cache name). Run with `npm run build`.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import * as esbuild from "esbuild";

const OUT = "static/build";
await mkdir(OUT, { recursive: true });

await esbuild.build({
  entryPoints: ["static/src/editor.js"],
  outfile: `${OUT}/editor.js`,
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  legalComments: "none",
  logLevel: "info",
});

const bundle = await readFile(`${OUT}/editor.js`, "utf8");
// The CSP has script-src 'self' without 'unsafe-eval'.
for (const pattern of [/\beval\(/, /\bnew Function\(/]) {
  if (pattern.test(bundle)) throw new Error(`editor bundle uses ${pattern}: not allowed under our CSP`);
}

const hash = createHash("sha256");
for (const file of [`${OUT}/editor.js`, "static/src/sw.js", "static/css/editor.css"]) {
  hash.update(await readFile(file));
}
const build = hash.digest("hex").slice(0, 12);
const sw = (await readFile("static/src/sw.js", "utf8")).replace("__CONFNOTES_BUILD__", build);
const minified = await esbuild.transform(sw, { minify: true, target: "es2020", legalComments: "none" });
await writeFile(`${OUT}/sw.js`, minified.code);
console.log(`static/build/sw.js: cache confnotes-${build}`);
