import { describe, expect, it } from "vitest";

import { daysLeft, expiringSoon } from "../src/lib/expiry.js";
import type { Item } from "../src/lib/items.js";

const today = new Date("2026-11-20T15:30:00Z");

function item(name: string, expiresOn: string | null): Item {
  return { id: name, name, quantity: 1, unit: "pcs", expiresOn, location: "fridge" };
}

describe("daysLeft", () => {
  it("counts whole days in UTC", () => {
    expect(daysLeft("2026-11-23", today)).toBe(3);
    expect(daysLeft("2026-11-20", today)).toBe(0);
    expect(daysLeft("2026-11-18", today)).toBe(-2);
  });

  it("is null without a usable date", () => {
    expect(daysLeft(null, today)).toBeNull();
    expect(daysLeft("soon", today)).toBeNull();
  });
});

describe("expiringSoon", () => {
  it("lists expired and soon-to-expire items, soonest first", () => {
    const items = [item("yoghurt", "2026-11-22"), item("rice", "2027-06-01"), item("milk", "2026-11-19")];
    expect(expiringSoon(items, today).map((entry) => entry.name)).toEqual(["milk", "yoghurt"]);
  });

  it("ignores items without a date", () => {
    expect(expiringSoon([item("salt", null)], today)).toEqual([]);
  });
});
