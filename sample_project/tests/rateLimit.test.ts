import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { rateLimit } from "../src/lib/rateLimit.js";

function appWith(now: () => number) {
  const app = express();
  app.use(rateLimit({ limit: 2, windowMs: 1000, now }));
  app.get("/", (_request, response) => {
    response.send("ok");
  });
  return app;
}

describe("rateLimit", () => {
  it("answers 429 with Retry-After once the limit is reached", async () => {
    let clock = 0;
    const app = appWith(() => clock);
    expect((await request(app).get("/")).status).toBe(200);
    expect((await request(app).get("/")).status).toBe(200);
    const limited = await request(app).get("/");
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("1");
    clock = 1000;
    expect((await request(app).get("/")).status).toBe(200);
  });
});
