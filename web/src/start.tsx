import { StrictMode } from "preact/compat";
import { createRoot } from "preact/compat/client";
import { App } from "./app.tsx";

/** Renders the dashboard into `root`; main.ts loads this (and Preact with it) after starting the first requests. */
export function start(root: HTMLElement): void {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
