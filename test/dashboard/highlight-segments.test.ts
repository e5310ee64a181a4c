import assert from "node:assert/strict";
import { test } from "node:test";
import { segmentText } from "../../web/src/highlight-segments.ts";

test("cuts a text at its matches, keeping every character once and in order", () => {
  const text = "Selling ivory bangles and pangolin scales";
  const matches = [
    { start: 26, end: 34, term: "pangolin" },
    { start: 8, end: 13, term: "ivory" },
  ];
  const segments = segmentText(text, matches);
  assert.equal(segments.map((s) => s.text).join(""), text);
  assert.deepEqual(
    segments.map((s) => [s.kind, s.text]),
    [
      ["text", "Selling "],
      ["match", "ivory"],
      ["text", " bangles and "],
      ["match", "pangolin"],
      ["text", " scales"],
    ],
  );
});

test("overlapping, empty and out-of-range matches never duplicate or invent text", () => {
  const text = "Psittacus erithacus";
  const segments = segmentText(text, [
    { start: 0, end: 19 },
    { start: 10, end: 19 },
    { start: 5, end: 5 },
    { start: 15, end: 40 },
    { start: -1, end: 3 },
  ]);
  assert.deepEqual(
    segments.map((s) => [s.kind, s.text]),
    [["match", "Psittacus erithacus"]],
  );
  assert.deepEqual(segmentText("", [{ start: 0, end: 1 }]), []);
});

test("hostile text stays text: the pieces are the characters as given", () => {
  const text = '<img src=x onerror="alert(1)"> tiger bone';
  const segments = segmentText(text, [{ start: 31, end: 36 }]);
  assert.equal(segments[0]?.text, '<img src=x onerror="alert(1)"> ');
  assert.equal(segments[1]?.text, "tiger");
});
