// Builds the extension bundle (dist/extension.js) and the pure helpers for the tests (out/).
import * as esbuild from "esbuild";

const production = process.argv.includes("--production");

await esbuild.build({
  entryPoints: ["src/extension.ts"],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode"],
  outfile: "dist/extension.js",
  minify: production,
  sourcemap: !production,
  logLevel: "warning",
});

// One file per pure module, no bundling: what the node tests import.
await esbuild.build({
  entryPoints: ["src/discovery.ts", "src/settings.ts", "src/render.ts", "src/graphModel.ts"],
  bundle: false,
  platform: "node",
  format: "cjs",
  target: "node18",
  outdir: "out",
  logLevel: "warning",
});
