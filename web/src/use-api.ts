import { useCallback, useLayoutEffect, useRef, useState } from "preact/compat";
import { api, type Query } from "./api.ts";

export type Loaded<T> =
  | { readonly status: "loading" }
  | { readonly status: "error"; readonly error: Error }
  | { readonly status: "ready"; readonly data: T };

/**
 * GETs `path` (null: nothing to load yet) whenever it or the query changes, and again on `reload()`, which keeps
 * showing the previous answer until the new one arrives.
 */
export function useApi<T>(path: string | null, query?: Query): Loaded<T> & { reload(): void } {
  const [state, setState] = useState<Loaded<T>>({ status: "loading" });
  const [generation, setGeneration] = useState(0);
  const requestKey = JSON.stringify([path, query ?? {}]);
  const lastKey = useRef<string | null>(null);
  // A layout effect: Preact runs passive effects only after the next frame, so a prefetched answer that is already
  // here would wait for a paint (and a layout) of "loading" before being taken. Asked for here, it is rendered
  // before the browser paints, together with the screen's other answers that are in by then.
  useLayoutEffect(() => {
    const [currentPath, currentQuery] = JSON.parse(requestKey) as [string | null, Query];
    if (currentPath === null) return;
    let current = true;
    // (Mounted, it is "loading" already: setting it again would only render the screen once more.)
    if (lastKey.current !== null && lastKey.current !== requestKey) setState({ status: "loading" });
    lastKey.current = requestKey;
    api
      .get<T>(currentPath, currentQuery)
      .then((data) => {
        if (current) setState({ status: "ready", data });
      })
      .catch((error: unknown) => {
        if (current)
          setState({ status: "error", error: error instanceof Error ? error : new Error(String(error)) });
      });
    return () => {
      current = false;
    };
  }, [requestKey, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...state, reload };
}
