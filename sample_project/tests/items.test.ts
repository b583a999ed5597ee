import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";

import { createApp } from "../src/app.js";
import { clearItems, saveItem } from "../src/lib/items.js";

describe("GET /items/expiring", () => {
  beforeEach(() => clearItems());

  it("rejects a days value outside 0..60", async () => {
    const response = await request(createApp()).get("/items/expiring?days=99");
    expect(response.status).toBe(400);
  });

  it("returns items expiring within the window", async () => {
    const soon = new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
    saveItem({ id: "1", name: "spinach", quantity: 1, unit: "bag", expiresOn: soon, location: "fridge" });
    saveItem({ id: "2", name: "pasta", quantity: 2, unit: "kg", expiresOn: "2030-01-01", location: "pantry" });
    const response = await request(createApp()).get("/items/expiring?days=3");
    expect(response.body.map((item: { name: string }) => item.name)).toEqual(["spinach"]);
  });
});
