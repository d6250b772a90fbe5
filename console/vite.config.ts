import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Built from the repository root (npm run build:console), so the root is pinned to this folder.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // The service serves the build under /console/ (src/rpc/console.ts).
  base: "/console/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Every browser that runs the console supports modulepreload; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
  },
  logLevel: "warn",
});
