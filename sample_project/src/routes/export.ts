import { Router } from "express";

import { toCsv } from "../lib/csv.js";
import { allItems } from "../lib/items.js";
import { rateLimit } from "../lib/rateLimit.js";
import { t } from "../i18n/index.js";

export const exportRouter = Router();

// Exports read the whole pantry: at most 10 per minute per client.
exportRouter.use(rateLimit({ limit: 10, windowMs: 60_000 }));

exportRouter.get("/items.csv", (request, response) => {
  const locale = String(request.query.lang ?? "en");
  const filename = `${t(locale, "export.filename")}.csv`;
  response
    .type("text/csv; charset=utf-8")
    .set("Content-Disposition", `attachment; filename="${filename}"`)
    .send(toCsv(allItems()));
});
