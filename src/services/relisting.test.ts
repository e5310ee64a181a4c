import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, afterEach, describe, it } from "node:test";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { NotFoundError } from "../core/errors.ts";
import { openStore } from "../storage/open-store.ts";
import type { DetectionInput, ListingObservation, Organisation, Source } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import { createFetcher, type Fetcher } from "../trawl/fetcher.ts";
import { imageDownloader } from "../trawl/image-decode.ts";
import { createRelistingService, type RelistingService } from "./relisting.ts";

interface Advert {
  readonly title: string;
  readonly text: string;
}
const { groups } = JSON.parse(
  readFileSync(new URL("../../test/fixtures/relisting/adverts.json", import.meta.url), "utf8"),
) as { groups: { id: string; original: Advert; variants: Advert[] }[] };
const group = (id: string) => groups.find((g) => g.id === id)!;

/** A photo-like picture as RGBA: shading and one shape, different for each subject. */
function picture(width: number, height: number, subject: "bag" | "bird"): Buffer {
  const rgba = Buffer.alloc(width * height * 4, 255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      let grey =
        subject === "bag" ? 50 + 170 * u + 30 * Math.sin(v * 8) : 230 - 180 * v + 25 * Math.cos(u * 10);
      if (subject === "bag" && (u - 0.5) ** 2 + (v - 0.5) ** 2 < 0.06) grey = 15;
      const at = (y * width + x) * 4;
      rgba[at] = rgba[at + 1] = rgba[at + 2] = Math.max(0, Math.min(255, Math.round(grey)));
    }
  }
  return rgba;
}
const png = (width: number, height: number, rgba: Buffer) => {
  const image = new PNG({ width, height });
  rgba.copy(image.data);
  return PNG.sync.write(image);
};

const offer: DetectionInput = {
  taxa: [{ taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" }],
  score: 0.9,
  verdict: "offer",
  reasons: ["test"],
  detectorVersion: "test-1",
};
const notWildlife: DetectionInput = { ...offer, taxa: [], score: 0.05, verdict: "none" };

describe("re-listing detection", () => {
  let server: Server;
  let origin: string;
  let fetcher: Fetcher;
  const images: Record<string, Buffer> = {
    "/bag.png": png(400, 300, picture(400, 300, "bag")),
    "/bag-small.jpg": Buffer.from(
      jpeg.encode({ width: 200, height: 150, data: picture(200, 150, "bag") }, 50).data,
    ),
    "/bird.png": png(400, 300, picture(400, 300, "bird")),
  };

  before(async () => {
    server = createServer((request, response) => {
      const body = images[request.url ?? ""];
      if (request.url === "/robots.txt" || !body) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": request.url?.endsWith(".png") ? "image/png" : "image/jpeg" });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
    fetcher = createFetcher({
      userAgent: "wildtrawl-test/1.0",
      allowPrivateNetwork: true,
      allowedPorts: [port],
      requestsPerSecondPerHost: 1000,
      maxAttempts: 1,
    });
  });
  after(async () => {
    fetcher.close();
    await new Promise((resolve) => server.close(resolve));
  });

  let database: ContractDatabase;
  let store: Store;
  let org: Organisation;
  let marketA: Source;
  let marketB: Source;
  let service: RelistingService;
  let now: Date;
  const hoursLater = (hours: number) => new Date(Date.parse("2026-07-01T00:00:00Z") + hours * 3_600_000);

  beforeEach(async () => {
    now = hoursLater(0);
    database = await newSqliteDatabase();
    store = await openStore(database.url, { clock: () => now });
    org = await store.organisations.create({ slug: "unit", name: "Unit" }, "system:test");
    marketA = await store.sources.upsert({
      organisationId: org.id,
      slug: "a",
      name: "A",
      platform: "market-a",
    });
    marketB = await store.sources.upsert({
      organisationId: org.id,
      slug: "b",
      name: "B",
      platform: "market-b",
    });
    service = createRelistingService({ store, fetchImage: imageDownloader(fetcher.fetch) });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const ingest = async (
    source: Source,
    key: string,
    advert: Advert,
    atHour: number,
    extra: Partial<ListingObservation> = {},
  ) => {
    now = hoursLater(atHour);
    const [result] = await store.listings.ingest([
      {
        sourceId: source.id,
        listingKey: key,
        observedAt: now,
        url: `https://${source.slug}.example/item/${key}`,
        title: advert.title,
        text: advert.text,
        detection: offer,
        ...extra,
      },
    ]);
    return result!.listingId;
  };
  const notice = async (listingId: number, atHour: number) => {
    now = hoursLater(atHour);
    await store.takedowns.create(
      { organisationId: org.id, listingId, platform: "market-a", idempotencyKey: `notice-${listingId}` },
      "system:test",
    );
  };
  const remove = async (listingId: number, atHour: number) => {
    now = hoursLater(atHour);
    await store.listings.markRemoved([listingId], now);
  };

  it("finds a noticed advert re-posted on another platform, with every reason, and not a different advert", async () => {
    const bangle = group("ivory-bangle-en");
    const original = await ingest(marketA, "bangle", bangle.original, 0);
    await service.checkRelistings([original]);
    await notice(original, 2);
    await remove(original, 30);
    const copy = await ingest(marketB, "bangle-again", bangle.variants[1]!, 48);
    const other = await ingest(marketB, "netsuke", group("ivory-netsuke-en").original, 49);
    const check = await service.checkRelistings([copy, other, 424242]);
    assert.equal(check.checked, 2);
    assert.equal(check.fingerprinted, 2);
    assert.equal(check.relistings.length, 1);
    const [relisting] = check.relistings;
    assert.equal(relisting!.originalListingId, original);
    assert.equal(relisting!.newListingId, copy);
    assert.deepEqual(
      relisting!.reasons.map((r) => r.kind),
      ["text", "seller"],
    );
    const text = relisting!.reasons[0]!;
    assert.ok(text.kind === "text" && text.similarity > 0.5 && text.simhashDistance < 32);
    assert.deepEqual(relisting!.reasons[1], { kind: "seller", key: "phone:155550142" });

    const again = await service.checkRelistings([copy]);
    assert.deepEqual([again.fingerprinted, again.relistings.length], [0, 0], "nothing new the second time");
    assert.deepEqual(
      (await service.relistingsOf(original)).map((r) => r.id),
      [relisting!.id],
    );
    assert.deepEqual(
      (await store.relistings.listForOriginals([original])).map((r) => r.newListingId),
      [copy],
    );
    await assert.rejects(service.relistingsOf(original, org.id + 1), NotFoundError);
  });

  it("finds the same photo under new words and a new seller, and reports photos it could not read", async () => {
    const original = await ingest(marketA, "bag", group("python-bag-en").original, 0, {
      attributes: { imageUrls: [`${origin}/bag.png`, `${origin}/missing.png`] },
    });
    const first = await service.checkRelistings([original]);
    assert.deepEqual(first.imageFailures, [
      { listingId: original, url: `${origin}/missing.png`, code: "image_unavailable" },
    ]);
    await remove(original, 10);
    const copy = await ingest(
      marketB,
      "handbag",
      {
        title: "Designer snakeskin purse",
        text: "Exotic leather purse, brand new, bought abroad last summer",
      },
      20,
      { attributes: { imageUrls: [`/bag-small.jpg`].map((path) => `${origin}${path}`) } },
    );
    const unrelated = await ingest(
      marketB,
      "bird",
      { title: "Songbird cage", text: "Large bamboo cage for small birds, hand made" },
      21,
      { attributes: { imageUrls: [`${origin}/bird.png`] } },
    );
    const check = await service.checkRelistings([copy, unrelated]);
    assert.equal(check.relistings.length, 1);
    const [image] = check.relistings[0]!.reasons;
    assert.equal(check.relistings[0]!.newListingId, copy);
    assert.ok(image?.kind === "image" && image.distance <= 10, JSON.stringify(image));
  });

  it("finds a copy seen before the original was removed once the removal is known, whatever the order", async () => {
    const tortoise = group("radiated-tortoise-id");
    const original = await ingest(marketA, "tortoise", tortoise.original, 0);
    const copy = await ingest(marketB, "tortoise-copy", tortoise.variants[1]!, 5);
    const before = await service.checkRelistings([original, copy]);
    assert.equal(before.relistings.length, 0, "neither was removed or noticed yet");
    await remove(original, 30);
    const afterRemoval = await service.checkRelistings([original]);
    assert.deepEqual(
      afterRemoval.relistings.map((r) => [r.originalListingId, r.newListingId]),
      [[original, copy]],
    );
    // The earlier copy of a later advert is not its re-listing.
    const older = await ingest(marketA, "loris", group("slow-loris-id").original, 40);
    const newer = await ingest(marketB, "loris-copy", group("slow-loris-id").variants[0]!, 41);
    await remove(newer, 42);
    const check = await service.checkRelistings([older, newer]);
    assert.deepEqual(check.relistings, []);
  });

  it("records a removed listing that reappears, and a known seller back with wildlife, not with anything else", async () => {
    const parrot = group("grey-parrot-es");
    const original = await ingest(marketA, "parrot", parrot.original, 0);
    await remove(original, 10);
    await ingest(marketA, "parrot", parrot.original, 20);
    const back = await service.checkRelistings([original]);
    assert.deepEqual(
      back.relistings.map((r) => [r.originalListingId, r.newListingId, r.reasons]),
      [[original, original, [{ kind: "reappeared" }]]],
    );

    const sameSellerWildlife = await ingest(
      marketB,
      "macaw",
      { title: "Guacamayo azul", text: "Vendo guacamayo azul joven, muy sano. Llamar al 612 345 987." },
      30,
    );
    const sameSellerBicycle = await ingest(
      marketB,
      "bicycle",
      {
        title: "Bicicleta de montaña",
        text: "Vendo bicicleta de montaña en buen estado. Llamar al 612 345 987.",
      },
      31,
      { detection: notWildlife },
    );
    const check = await service.checkRelistings([sameSellerWildlife, sameSellerBicycle]);
    assert.deepEqual(
      check.relistings.map((r) => [r.newListingId, r.reasons]),
      [[sameSellerWildlife, [{ kind: "seller", key: "phone:612345987" }]]],
    );
  });
});
