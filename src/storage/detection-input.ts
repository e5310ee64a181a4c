import type { Detection } from "../core/detect/detect.ts";
import type { Appendix } from "../core/species/reference-data.ts";
import type { DetectionInput } from "./records.ts";

const appendixRank: Readonly<Record<Appendix, number>> = { I: 1, II: 2, III: 3 };

/**
 * What the store keeps of a detection: each listed taxon with its strictest appendix, the score, the verdict,
 * the reasons and the detector's version. Taxa are stored by their numeric Species+ id, so a taxon the export
 * does not carry (a CoP18–CoP20 addition, a synthesised family) is kept only in the reasons.
 */
export function toDetectionInput(detection: Detection): DetectionInput {
  return {
    taxa: detection.taxa.flatMap((taxon) => {
      const taxonId = Number(taxon.id);
      const appendix = [...taxon.appendices].sort((a, b) => appendixRank[a] - appendixRank[b])[0];
      if (!taxon.listed || appendix === undefined || !Number.isSafeInteger(taxonId)) return [];
      return [{ taxonId, scientificName: taxon.name, appendix }];
    }),
    score: detection.score,
    verdict: detection.verdict,
    reasons: detection.reasons,
    detectorVersion: detection.detectorVersion,
  };
}
