import { parentPort, workerData } from "node:worker_threads";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { screenBatchAnswers } from "./screening.ts";
import type { ScreeningWorkerMessage, ScreeningWorkerRequest } from "./screening-pool.ts";

// One worker of screening-pool.ts: loads what detection needs once, then screens one chunk of listings per message.
const port = parentPort;
if (port === null) throw new Error("screening-worker.ts runs only as a worker thread");
const paths = workerData as { referenceDataPath: string; lexiconDir: string; detectionModelPath: string };
const send = (message: ScreeningWorkerMessage) => port.postMessage(message);

try {
  const species = await loadSpeciesIndex(paths.referenceDataPath);
  const [lexicon, model] = await Promise.all([
    loadLexicon(species, paths.lexiconDir),
    readDetectionModel(paths.detectionModelPath),
  ]);
  port.on("message", ({ id, policy, listings }: ScreeningWorkerRequest) => {
    try {
      send({ type: "screened", id, results: screenBatchAnswers(listings, policy, lexicon, model) });
    } catch (error) {
      send({ type: "failed", id, message: String(error) });
    }
  });
  send({ type: "ready" });
} catch (error) {
  send({ type: "load_failed", message: String(error) });
}
