import express from "express";

import { exportRouter } from "./routes/export.js";
import { itemsRouter } from "./routes/items.js";

export function createApp(): express.Express {
  const app = express();
  app.use(express.json({ limit: "64kb" }));
  app.use("/items", itemsRouter);
  app.use("/export", exportRouter);
  app.get("/health", (_request, response) => {
    response.json({ ok: true });
  });
  return app;
}

if (process.env.NODE_ENV !== "test") {
  const port = Number(process.env.PORT ?? 3000);
  createApp().listen(port, () => {
    console.log(`larder listening on :${port}`);
  });
}
