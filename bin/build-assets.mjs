#!/usr/bin/env node
// Copies the front-end packages' built files (installed by `npm ci` from package-lock.json)
// into dashboard/static/vendor/, where Django's static files finders and whitenoise serve
// them. The output is git-ignored: it is rebuilt by `make assets` and by the Docker image,
// never fetched from a CDN at run time.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const out = join(root, "dashboard", "static", "vendor");

// destination (under vendor/) -> source (under node_modules/). Source maps travel with
// their files, so the browser's developer tools find them instead of a 404.
const FILES = {
  "bootstrap/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
  "bootstrap/bootstrap.min.css.map": "bootstrap/dist/css/bootstrap.min.css.map",
  "bootstrap/bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
  "bootstrap/bootstrap.bundle.min.js.map": "bootstrap/dist/js/bootstrap.bundle.min.js.map",
  "bootstrap/LICENSE": "bootstrap/LICENSE",
  "bootstrap-icons/bootstrap-icons.min.css": "bootstrap-icons/font/bootstrap-icons.min.css",
  "bootstrap-icons/fonts/bootstrap-icons.woff2": "bootstrap-icons/font/fonts/bootstrap-icons.woff2",
  "bootstrap-icons/fonts/bootstrap-icons.woff": "bootstrap-icons/font/fonts/bootstrap-icons.woff",
  "bootstrap-icons/LICENSE": "bootstrap-icons/LICENSE",
  "chart.js/chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
  "chart.js/chart.umd.min.js.map": "chart.js/dist/chart.umd.min.js.map",
  "chart.js/LICENSE.md": "chart.js/LICENSE.md",
  "tom-select/tom-select.complete.min.js": "tom-select/dist/js/tom-select.complete.min.js",
  "tom-select/tom-select.complete.min.js.map": "tom-select/dist/js/tom-select.complete.min.js.map",
  "tom-select/tom-select.bootstrap5.min.css": "tom-select/dist/css/tom-select.bootstrap5.min.css",
  "tom-select/tom-select.bootstrap5.min.css.map": "tom-select/dist/css/tom-select.bootstrap5.min.css.map",
  "tom-select/LICENSE": "tom-select/LICENSE",
};

const missing = Object.values(FILES).filter((source) => !existsSync(join(modules, source)));
if (missing.length) {
  console.error(`build-assets: missing in node_modules/ (run npm ci): ${missing.join(", ")}`);
  process.exit(1);
}
// Start clean, so a file dropped from the list does not linger in the static files.
rmSync(out, { recursive: true, force: true });
for (const [destination, source] of Object.entries(FILES)) {
  mkdirSync(dirname(join(out, destination)), { recursive: true });
  cpSync(join(modules, source), join(out, destination));
}
writeFileSync(join(out, ".built"), "");
console.log(`build-assets: ${Object.keys(FILES).length} files in ${out}`);
