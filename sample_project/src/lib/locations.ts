/** The storage locations of the plan (revision 5): a fixed list, in display order. */
export const LOCATIONS = ["fridge", "freezer", "pantry", "cellar"] as const;

export type Location = (typeof LOCATIONS)[number];

/** A known location, matched case-insensitively; anything else is kept in the pantry. */
export function normalizeLocation(value: string): Location {
  const folded = value.trim().toLowerCase();
  return (LOCATIONS as readonly string[]).includes(folded) ? (folded as Location) : "pantry";
}

/** Items grouped by location in display order; empty locations are left out. */
export function groupByLocation<T extends { name: string; location: string }>(
  items: T[],
): Map<Location, T[]> {
  const groups = new Map<Location, T[]>(LOCATIONS.map((location) => [location, []]));
  for (const item of [...items].sort((a, b) => a.name.localeCompare(b.name))) {
    groups.get(normalizeLocation(item.location))?.push(item);
  }
  return new Map([...groups.entries()].filter(([, members]) => members.length > 0));
}
