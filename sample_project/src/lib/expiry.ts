import type { Item } from "./items.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Days from `today` until `expiresOn` (negative once expired); null without a date. */
export function daysLeft(expiresOn: string | null, today: Date): number | null {
  if (expiresOn === null) {
    return null;
  }
  const end = Date.parse(`${expiresOn}T00:00:00Z`);
  if (Number.isNaN(end)) {
    return null;
  }
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((end - start) / DAY_MS);
}

/** Items that expire within `withinDays` days (expired ones included), soonest first. */
export function expiringSoon(items: Item[], today: Date, withinDays = 3): Item[] {
  return items
    .map((item) => ({ item, left: daysLeft(item.expiresOn, today) }))
    .filter((entry): entry is { item: Item; left: number } => entry.left !== null)
    .filter((entry) => entry.left <= withinDays)
    .sort((a, b) => a.left - b.left || a.item.name.localeCompare(b.item.name))
    .map((entry) => entry.item);
}
