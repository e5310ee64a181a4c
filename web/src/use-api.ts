import { useCallback, useEffect, useRef, useState } from "react";
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
  useEffect(() => {
    const [currentPath, currentQuery] = JSON.parse(requestKey) as [string | null, Query];
    if (currentPath === null) return;
    let current = true;
    if (lastKey.current !== requestKey) setState({ status: "loading" });
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
