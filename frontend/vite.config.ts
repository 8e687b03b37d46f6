// The front end is served by Django: the page at / (web/views.py), the built files under /static/app/.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/app/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1500, // MapLibre GL JS alone is ≈ 1 MB minified
    sourcemap: false,
  },
});
