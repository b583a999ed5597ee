import { Router } from "express";

import { expiringSoon } from "../lib/expiry.js";
import { allItems, removeItem, saveItem } from "../lib/items.js";
import { groupByLocation, normalizeLocation } from "../lib/locations.js";

export const itemsRouter = Router();

itemsRouter.get("/", (request, response) => {
  const items = allItems();
  if (request.query.groupBy === "location") {
    response.json(Object.fromEntries(groupByLocation(items)));
    return;
  }
  response.json(items);
});

itemsRouter.get("/expiring", (request, response) => {
  const days = Number(request.query.days ?? 3);
  if (!Number.isInteger(days) || days < 0 || days > 60) {
    response.status(400).json({ error: "days must be a whole number from 0 to 60" });
    return;
  }
  response.json(expiringSoon(allItems(), new Date(), days));
});

itemsRouter.put("/:id", (request, response) => {
  const { name, quantity, unit, expiresOn, location } = request.body ?? {};
  if (typeof name !== "string" || typeof quantity !== "number") {
    response.status(400).json({ error: "name and quantity are required" });
    return;
  }
  const item = saveItem({
    id: request.params.id,
    name,
    quantity,
    unit: typeof unit === "string" ? unit : "pcs",
    expiresOn: typeof expiresOn === "string" ? expiresOn : null,
    location: normalizeLocation(typeof location === "string" ? location : ""),
  });
  response.json(item);
});

itemsRouter.delete("/:id", (request, response) => {
  response.status(removeItem(request.params.id) ? 204 : 404).end();
});
