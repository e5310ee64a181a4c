import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureAdvert } from "./capture.ts";
import { recordCustody } from "./custody.ts";
import { anchorCustodyHead, verifyCustodyAnchors } from "./custody-anchor.ts";
import { ensureSigningKey, type SigningKey } from "./signing-keys.ts";
import { startLocalTsa, type LocalTsa } from "./testing/local-tsa.ts";
import { newEvidenceWorld, type EvidenceWorld } from "./testing/evidence-world.ts";
import { startFixtureSite, type FixtureSite } from "./testing/fixture-site.ts";

describe("custody anchors: the head signed and time-stamped, truncation detected (RELIABILITY E7)", () => {
  let site: FixtureSite;
  let tsa: LocalTsa;
  let key: SigningKey;
  let captureId: number;

  before(async () => {
    [site, tsa] = await Promise.all([startFixtureSite(), startLocalTsa()]);
  });
  after(async () => {
    await Promise.all([site.close(), tsa.close()]);
  });

  async function worldWithEntries(count: number): Promise<EvidenceWorld> {
    const world = await newEvidenceWorld();
    key = await ensureSigningKey(path.join(world.dataDir, "keys"));
    const { capture } = await captureAdvert(world.deps({ browser: null }), {
      url: `${site.origin}/notes.txt`,
      sourceId: world.source.id,
      actor: "user:1",
    });
    captureId = capture.id;
    await appendViews(world, count - 1);
    return world;
  }

  async function appendViews(world: EvidenceWorld, count: number) {
    for (let i = 0; i < count; i++) {
      await recordCustody(world.store, {
        captureId,
        actor: `user:${i + 2}`,
        action: "view",
        purpose: "review",
      });
    }
  }

  it("writes a signed, time-stamped anchor of the head, and none again while nothing changed", async () => {
    const world = await worldWithEntries(4);
    try {
      const anchorsDir = path.join(world.dataDir, "anchors");
      const deps = {
        store: world.store,
        signingKey: key,
        anchorsDir,
        tsa: [{ url: tsa.url, caPem: tsa.caPem }],
      };
      const first = await anchorCustodyHead(deps);
      assert.equal(first.created, true);
      assert.equal(first.anchor.entries, 4);
      assert.equal(first.anchor.timestamps.length, 1);
      const log = await world.store.evidence.custodyLog({ limit: 100 });
      assert.equal(first.anchor.headId, log.at(-1)!.id);
      assert.equal(first.anchor.headHash, log.at(-1)!.entryHash);
      assert.equal((await anchorCustodyHead(deps)).created, false, "the same head is not anchored twice");
      assert.equal((await readdir(anchorsDir)).filter((n) => n.endsWith(".json")).length, 1);

      const check = await verifyCustodyAnchors(world.store, anchorsDir, key.publicKeyPem, {
        trustedCaPem: tsa.caPem,
      });
      assert.deepEqual([check.anchors, check.problem], [1, null]);

      await appendViews(world, 2);
      assert.equal((await anchorCustodyHead(deps)).anchor.entries, 6, "a new head gets a new anchor");
      assert.equal((await verifyCustodyAnchors(world.store, anchorsDir, key.publicKeyPem)).anchors, 2);
    } finally {
      await world.close();
    }
  });

  for (const removed of [1, 2, 3]) {
    it(`fails when the last ${removed} entries are cut off after the anchor, naming the anchored entry`, async () => {
      const world = await worldWithEntries(5);
      try {
        const anchorsDir = path.join(world.dataDir, "anchors");
        const { anchor } = await anchorCustodyHead({ store: world.store, signingKey: key, anchorsDir });
        // Only an owner can drop the append-only trigger; what remains is still a valid chain on its own.
        await world.exec("DROP TRIGGER custody_log_no_delete");
        const log = await world.store.evidence.custodyLog({ limit: 100 });
        const keep = log.at(-1 - removed)!.id;
        await world.exec(`DELETE FROM custody_log WHERE id > ${keep}`);
        const check = await verifyCustodyAnchors(world.store, anchorsDir, key.publicKeyPem);
        assert.match(check.problem ?? "", new RegExp(`custody entry ${anchor.headId}\\b.*missing`));
      } finally {
        await world.close();
      }
    });
  }

  it("refuses an anchor whose file was edited, and one signed by another key", async () => {
    const world = await worldWithEntries(2);
    try {
      const anchorsDir = path.join(world.dataDir, "anchors");
      const { file } = await anchorCustodyHead({ store: world.store, signingKey: key, anchorsDir });
      const other = await ensureSigningKey(path.join(world.dataDir, "other-keys"));
      const byOther = await verifyCustodyAnchors(world.store, anchorsDir, other.publicKeyPem);
      assert.match(byOther.problem ?? "", /signed by another key/);

      const text = await readFile(file, "utf8");
      await writeFile(file, text.replace(/"entries": \d+/, '"entries": 1'));
      const edited = await verifyCustodyAnchors(world.store, anchorsDir, key.publicKeyPem);
      assert.match(edited.problem ?? "", /signature does not match/);
    } finally {
      await world.close();
    }
  });

  it("will not vouch for a log that was rewritten", async () => {
    const world = await worldWithEntries(3);
    try {
      await world.exec("DROP TRIGGER custody_log_no_update");
      await world.exec(
        "UPDATE custody_log SET purpose = 'rewritten' WHERE id = (SELECT MIN(id) FROM custody_log)",
      );
      await assert.rejects(
        anchorCustodyHead({
          store: world.store,
          signingKey: key,
          anchorsDir: path.join(world.dataDir, "anchors"),
        }),
        /will not anchor a broken custody log/,
      );
    } finally {
      await world.close();
    }
  });
});
