import type { Location } from "./locations.js";

export interface Item {
  id: string;
  name: string;
  quantity: number;
  unit: string;
  /** ISO date (YYYY-MM-DD) after which the item should not be eaten. */
  expiresOn: string | null;
  location: Location;
}

const items = new Map<string, Item>();

export function allItems(): Item[] {
  return [...items.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function saveItem(item: Item): Item {
  items.set(item.id, item);
  return item;
}

export function removeItem(id: string): boolean {
  return items.delete(id);
}

export function clearItems(): void {
  items.clear();
}
