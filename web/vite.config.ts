import { defineConfig } from "vite";

// Built with `vite build web` (npm run build:web): this folder is the root, so paths here are relative to web/.
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The dashboard's CSP allows scripts, styles and fonts from 'self' only: emit every asset as a file, never
    // inline, and no inline module-preload polyfill.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
  },
  server: {
    // `vite web` for development, with the API of `wildtrawl serve --port 8080` behind it.
    proxy: { "/v1": "http://127.0.0.1:8080" },
  },
});
