import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { WARCParser } from "warcio";
import { WarcWriter, type WarcExchange } from "./warc-writer.ts";

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

function exchange(index: number, bodyBytes = 200): WarcExchange {
  const body = Buffer.alloc(bodyBytes, 97 + (index % 26));
  return {
    targetUri: `http://shop.test/item/${index}?q=象牙`,
    ipAddress: "192.0.2.10",
    requestDate: new Date("2025-03-01T12:00:00.000Z"),
    request: Buffer.from(
      `GET /item/${index} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: wildtrawl-test\r\n\r\n`,
    ),
    responseDate: new Date("2025-03-01T12:00:00.250Z"),
    response: Buffer.concat([
      Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n`),
      body,
    ]),
  };
}

async function readAll(file: string) {
  const records = [];
  const parser = new WARCParser(createReadStream(file));
  for await (const record of parser) {
    const raw = await record.readFully(false);
    records.push({ record, raw, offset: parser.offset, length: parser.recordLength });
  }
  return records;
}

describe("WARC writer", () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "wildtrawl-warc-"));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  it("starts each file with warcinfo and writes request and response records warcio can read", async () => {
    const writer = new WarcWriter({
      directory: path.join(directory, "one"),
      software: "wildtrawl/0.1.0",
      info: { operator: "test" },
    });
    const location = await writer.writeExchange(exchange(1));
    await writer.close();

    const records = await readAll(location.response.file);
    assert.deepEqual(
      records.map(({ record }) => record.warcType),
      ["warcinfo", "request", "response"],
    );
    const [info, request, response] = records;
    assert.match(new TextDecoder().decode(info?.raw), /software: wildtrawl\/0\.1\.0\r\n/);
    assert.equal(info?.record.warcHeader("WARC-Filename"), path.basename(location.response.file));
    assert.equal(
      response?.record.warcTargetURI,
      "http://shop.test/item/1?q=%E8%B1%A1%E7%89%99",
      "as an ASCII URI",
    );
    assert.equal(response?.record.warcDate, "2025-03-01T12:00:00.250Z");
    assert.equal(response?.record.warcHeader("WARC-IP-Address"), "192.0.2.10");
    assert.equal(response?.record.warcContentType, "application/http; msgtype=response");
    assert.equal(response?.record.warcPayloadDigest, sha256(Buffer.alloc(200, 98)));
    assert.equal(request?.record.warcConcurrentTo?.[0], response?.record.warcHeader("WARC-Record-ID"));
    assert.equal(request?.record.httpHeaders?.headers.get("host"), "shop.test");
    assert.deepEqual(
      [response?.offset, response?.length],
      [location.response.offset, location.response.length],
    );
    assert.deepEqual([request?.offset, request?.length], [location.request.offset, location.request.length]);

    // The block digest covers exactly the stored block.
    const file = await readFile(location.response.file);
    const member = gunzipSync(
      file.subarray(location.response.offset, location.response.offset + location.response.length),
    );
    const headerEnd = member.indexOf("\r\n\r\n") + 4;
    const block = member.subarray(headerEnd, member.length - 4);
    assert.equal(response?.record.warcBlockDigest, sha256(block));
    assert.deepEqual(block, Buffer.from(exchange(1).response));
  });

  it("rotates files by size, every file whole and starting with warcinfo", async () => {
    const dir = path.join(directory, "rotate");
    const writer = new WarcWriter({
      directory: dir,
      software: "wildtrawl/0.1.0",
      maxFileBytes: 4096,
      gzipLevel: 0,
    });
    const locations = await Promise.all(
      Array.from({ length: 40 }, (_, i) => writer.writeExchange(exchange(i, 500))),
    );
    await writer.close();
    const files = (await readdir(dir)).sort();
    assert.ok(files.length > 3, `${files.length} files`);
    for (const name of files) {
      assert.match(name, /^wildtrawl-\d{17}-\d{5}-[0-9a-f]{8}\.warc\.gz$/);
      const records = await readAll(path.join(dir, name));
      assert.equal(records[0]?.record.warcType, "warcinfo");
      assert.equal((records.length - 1) % 2, 0, "exchanges are never split across files");
    }
    const seen = new Set<string>();
    for (const [i, location] of locations.entries()) {
      const bytes = (await readFile(location.response.file)).subarray(
        location.response.offset,
        location.response.offset + location.response.length,
      );
      const record = await WARCParser.parse([bytes]);
      assert.equal(record?.warcTargetURI, `http://shop.test/item/${i}?q=%E8%B1%A1%E7%89%99`);
      seen.add(location.response.recordId);
    }
    assert.equal(seen.size, 40);
  });

  it("marks truncated responses and omits the payload digest when the head never ended", async () => {
    const writer = new WarcWriter({
      directory: path.join(directory, "truncated"),
      software: "wildtrawl/0.1.0",
    });
    const location = await writer.writeExchange({
      ...exchange(2),
      response: Buffer.from("HTTP/1.1 200 OK\r\nContent-Ty"),
      truncated: "disconnect",
    });
    await writer.close();
    const records = await readAll(location.response.file);
    const response = records.find(({ record }) => record.warcType === "response");
    assert.equal(response?.record.warcHeader("WARC-Truncated"), "disconnect");
    assert.equal(response?.record.warcPayloadDigest ?? undefined, undefined);
  });

  it("refuses writes after close", async () => {
    const writer = new WarcWriter({ directory: path.join(directory, "closed"), software: "wildtrawl/0.1.0" });
    await writer.close();
    await assert.rejects(writer.writeExchange(exchange(3)), /closed/);
  });
});
