// Writes docs/provenance.schema.json, the JSON Schema of a capture's provenance, from the one in the code.
import { writeFileSync } from "node:fs";
import { provenanceSchema } from "../src/evidence/provenance.ts";

writeFileSync(
  new URL("../docs/provenance.schema.json", import.meta.url),
  `${JSON.stringify(provenanceSchema, null, 2)}\n`,
);
