import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkPolicy, defaultScreeningPolicy, type ScreeningPolicy } from "./screening.ts";

describe("a screening policy", () => {
  it("takes allow, review or block for offers of unlisted wildlife, or nothing, and names any other value", () => {
    for (const unlistedWildlife of ["allow", "review", "block"] as const)
      assert.deepEqual(
        checkPolicy({ ...defaultScreeningPolicy, unlistedWildlife }).unlistedWildlife,
        unlistedWildlife,
      );
    const { unlistedWildlife: _absent, ...older } = defaultScreeningPolicy;
    assert.equal(checkPolicy(older).unlistedWildlife, undefined);
    const wrong = { ...defaultScreeningPolicy, unlistedWildlife: "hide" } as unknown as ScreeningPolicy;
    assert.throws(() => checkPolicy(wrong), /unlistedWildlife is "hide", expected allow, review or block/);
  });
});
