import { describe, expect, it } from "vitest";

import { groupByLocation, normalizeLocation } from "../src/lib/locations.js";

describe("normalizeLocation", () => {
  it("matches known locations case-insensitively", () => {
    expect(normalizeLocation("  Freezer ")).toBe("freezer");
  });

  it("keeps unknown locations in the pantry", () => {
    expect(normalizeLocation("garage shelf")).toBe("pantry");
    expect(normalizeLocation("")).toBe("pantry");
  });
});

describe("groupByLocation", () => {
  it("groups in display order and sorts names", () => {
    const groups = groupByLocation([
      { name: "peas", location: "Freezer" },
      { name: "butter", location: "fridge" },
      { name: "ice cream", location: "freezer" },
    ]);
    expect([...groups.keys()]).toEqual(["fridge", "freezer"]);
    expect(groups.get("freezer")?.map((item) => item.name)).toEqual(["ice cream", "peas"]);
  });
});
