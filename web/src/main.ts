import { prefetch } from "./api.ts";
import { preloadScreen } from "./routes.ts";
import "./styles.css";

// The entry is small and free of React: it asks at once for the session, the opened screen's chunk and that
// screen's data, and only then loads React and the app, whose code takes a few hundred milliseconds to compile and
// run on a slow machine. Everything the first screen needs is on its way meanwhile.
prefetch("/session");
preloadScreen(window.location.pathname, new URLSearchParams(window.location.search));

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element for the dashboard");
import("./start.tsx")
  .then(({ start }) => start(root))
  .catch((error: unknown) => {
    root.textContent = "The wildtrawl dashboard could not be loaded. Reload the page to try again.";
    throw error;
  });
