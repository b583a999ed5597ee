import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";

import { createApp } from "../src/app.js";
import { clearItems, saveItem } from "../src/lib/items.js";

describe("GET /export/items.csv", () => {
  beforeEach(() => clearItems());

  it("sends the pantry as a CSV attachment", async () => {
    saveItem({ id: "1", name: "flour", quantity: 1, unit: "kg", expiresOn: null, location: "pantry" });
    const response = await request(createApp()).get("/export/items.csv");
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toContain("text/csv");
    expect(response.headers["content-disposition"]).toBe('attachment; filename="pantry.csv"');
    expect(response.text).toContain("flour,1,kg,,pantry");
  });

  it("names the file in the requested language", async () => {
    const response = await request(createApp()).get("/export/items.csv?lang=de-AT");
    expect(response.headers["content-disposition"]).toContain("vorratskammer.csv");
  });
});
