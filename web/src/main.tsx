import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.tsx";
import { preloadScreen } from "./routes.tsx";
import "./styles.css";

preloadScreen(window.location.pathname);
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element for the dashboard");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
