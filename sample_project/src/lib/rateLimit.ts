import type { NextFunction, Request, Response } from "express";

export interface RateLimitOptions {
  /** Requests allowed per window and client. */
  limit: number;
  windowMs: number;
  now?: () => number;
}

/** A fixed-window limiter keyed by client IP; answers 429 with Retry-After when exceeded. */
export function rateLimit({ limit, windowMs, now = Date.now }: RateLimitOptions) {
  const windows = new Map<string, { start: number; count: number }>();
  return (request: Request, response: Response, next: NextFunction): void => {
    const key = request.ip ?? "unknown";
    const moment = now();
    const current = windows.get(key);
    if (current === undefined || moment - current.start >= windowMs) {
      windows.set(key, { start: moment, count: 1 });
      next();
      return;
    }
    current.count += 1;
    if (current.count > limit) {
      const retryAfter = Math.ceil((current.start + windowMs - moment) / 1000);
      response.set("Retry-After", String(retryAfter)).status(429).json({ error: "rate_limited" });
      return;
    }
    next();
  };
}
