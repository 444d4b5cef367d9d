// Builds dist/widget.js: the widget, its styles and socket.io-client in one file for one <script> tag.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

await build({
  absWorkingDir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: ["src/widget.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2019"],
  loader: { ".css": "text" },
  outfile: "dist/widget.js",
  legalComments: "linked",
  logLevel: "warning",
});
console.log("web/dist/widget.js built");
