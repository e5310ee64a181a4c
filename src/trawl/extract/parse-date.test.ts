import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseDate, type DateHints } from "./parse-date.ts";

const reference: DateHints = { referenceTime: "2024-06-15T12:00:00Z" };

const cases: ReadonlyArray<readonly [string, DateHints, string | undefined]> = [
  ["2024-03-05", {}, "2024-03-05"],
  ["2024-03-05T10:20:00Z", {}, "2024-03-05T10:20:00.000Z"],
  ["2024-03-05T10:20:00+07:00", {}, "2024-03-05T03:20:00.000Z"],
  ["2024-03-05T14:20:31-0700", {}, "2024-03-05T21:20:31.000Z"],
  ["2024-03-05 10:20", {}, "2024-03-05T10:20:00"],
  ["Tue, 05 Mar 2024 10:20:00 GMT", {}, "2024-03-05T10:20:00.000Z"],
  ["1709634000", {}, "2024-03-05T10:20:00.000Z"],
  ["1709634000000", {}, "2024-03-05T10:20:00.000Z"],
  ["05/03/2024", {}, "2024-03-05"],
  ["05/03/2024", { dateOrder: "mdy" }, "2024-05-03"],
  ["13/03/2024", { dateOrder: "mdy" }, "2024-03-13"],
  ["03/13/2024", {}, "2024-03-13"],
  ["05.03.24", {}, "2024-03-05"],
  ["2024年3月5日 14:30", {}, "2024-03-05T14:30:00"],
  ["2024년 3월 5일", {}, "2024-03-05"],
  ["5 mars 2024", {}, "2024-03-05"],
  ["Le 5 mars 2024 à 14h30", {}, "2024-03-05T14:30:00"],
  ["March 5, 2024", {}, "2024-03-05"],
  ["Mar 5 2024 2:30 pm", {}, "2024-03-05T14:30:00"],
  ["5 de marzo de 2024", {}, "2024-03-05"],
  ["5 de março de 2024", {}, "2024-03-05"],
  ["ngày 5 tháng 3 năm 2024", {}, "2024-03-05"],
  ["5 Maret 2024", {}, "2024-03-05"],
  ["5 มี.ค. 2567", {}, "2024-03-05"],
  ["5 марта 2024 г.", {}, "2024-03-05"],
  ["12 mai", reference, "2024-05-12"],
  ["12 décembre", reference, "2023-12-12"],
  ["3 days ago", reference, "2024-06-12"],
  ["il y a 2 jours", reference, "2024-06-13"],
  ["hace 3 horas", reference, "2024-06-15T09:00:00.000Z"],
  ["há 2 semanas", reference, "2024-06-01"],
  ["2 hari yang lalu", reference, "2024-06-13"],
  ["3 ngày trước", reference, "2024-06-12"],
  ["2 วันที่แล้ว", reference, "2024-06-13"],
  ["3天前", reference, "2024-06-12"],
  ["вчера в 14:20", reference, "2024-06-14T14:20:00"],
  ["yesterday", reference, "2024-06-14"],
  ["3 days ago", {}, undefined],
  ["2024-02-30", {}, undefined],
  ["0812345678", {}, undefined],
  ["lorem ipsum", reference, undefined],
];

describe("parseDate", () => {
  for (const [text, hints, expected] of cases) {
    it(`reads ${JSON.stringify(text)}`, () => assert.equal(parseDate(text, hints), expected));
  }

  it("never throws, and answers ISO 8601 or nothing, on any text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const date = parseDate(text, reference);
        if (date !== undefined) assert.match(date, /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{3}Z)?)?$/);
      }),
      { numRuns: 5_000 },
    );
  });
});
