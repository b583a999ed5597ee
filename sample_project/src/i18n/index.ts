import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { MESSAGE_KEYS, type MessageKey } from "./keys.js";

const LOCALES_DIR = join(dirname(fileURLToPath(import.meta.url)), "locales");
const FALLBACK = "en";

type Catalogue = Record<MessageKey, string>;

function load(): Map<string, Catalogue> {
  const catalogues = new Map<string, Catalogue>();
  for (const file of readdirSync(LOCALES_DIR).filter((name) => name.endsWith(".json"))) {
    const data = JSON.parse(readFileSync(join(LOCALES_DIR, file), "utf8")) as Catalogue;
    catalogues.set(file.replace(/\.json$/, ""), data);
  }
  return catalogues;
}

const catalogues = load();

export function locales(): string[] {
  return [...catalogues.keys()].sort();
}

/** The message for `key` in `locale` (or its language), falling back to English. */
export function t(locale: string, key: MessageKey, values: Record<string, string> = {}): string {
  const language = locale.toLowerCase().split(/[-_]/)[0];
  const catalogue = catalogues.get(language) ?? catalogues.get(FALLBACK);
  const template = catalogue?.[key] ?? catalogues.get(FALLBACK)?.[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export { MESSAGE_KEYS };
