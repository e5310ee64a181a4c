import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { prefetch } from "./api.ts";
import { App } from "./app.tsx";
import { preloadScreen } from "./routes.tsx";
import "./styles.css";

// Asked before React starts (it would ask only after its first render): the session and the opened screen's
// chunk and data arrive together.
prefetch("/session");
preloadScreen(window.location.pathname, new URLSearchParams(window.location.search));
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element for the dashboard");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
