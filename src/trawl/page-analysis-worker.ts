import { parentPort, workerData } from "node:worker_threads";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { analysePage, type PageAnalysisRequest } from "./page-analysis.ts";

// One worker of page-analysis-pool.ts: loads what detection needs once, then analyses one page per message.
const port = parentPort;
if (port === null) throw new Error("page-analysis-worker.ts runs only as a worker thread");
const paths = workerData as { referenceDataPath: string; lexiconDir: string; detectionModelPath: string };

try {
  const species = await loadSpeciesIndex(paths.referenceDataPath);
  const [lexicon, model] = await Promise.all([
    loadLexicon(species, paths.lexiconDir),
    readDetectionModel(paths.detectionModelPath),
  ]);
  port.on("message", (request: PageAnalysisRequest) => {
    try {
      port.postMessage({ type: "result", analysis: analysePage(request, { lexicon, model }) });
    } catch (error) {
      port.postMessage({ type: "error", message: `${request.page.url}: ${String(error)}` });
    }
  });
  port.postMessage({ type: "ready" });
} catch (error) {
  port.postMessage({ type: "load_failed", message: String(error) });
}
