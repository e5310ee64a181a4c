import { prefetch } from "./api.ts";
import { preloadScreen } from "./routes.ts";
import "./styles.css";

// The entry is small and free of Preact: it asks at once for the session, the app's code, the opened screen's
// chunk and that screen's data, then starts the app. Everything the first screen needs is on its way while that
// code is fetched, compiled and run. Code is asked for before data: the server answers in turn, and a slow query
// would otherwise hold back the app's own files.
prefetch("/session");
const app = import("./start.tsx");
preloadScreen(window.location.pathname, new URLSearchParams(window.location.search));

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element for the dashboard");
app
  .then(({ start }) => start(root))
  .catch((error: unknown) => {
    root.textContent = "The wildtrawl dashboard could not be loaded. Reload the page to try again.";
    throw error;
  });
