import type { Item } from "./items.js";

const HEADER = ["name", "quantity", "unit", "expires_on", "location"];

/** One CSV field per RFC 4180: quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  // A leading =, +, - or @ would run as a formula in a spreadsheet: prefix a quote.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(items: Item[]): string {
  const rows = items.map((item) =>
    [item.name, String(item.quantity), item.unit, item.expiresOn ?? "", item.location]
      .map(csvField)
      .join(","),
  );
  return [HEADER.join(","), ...rows].join("\r\n") + "\r\n";
}
