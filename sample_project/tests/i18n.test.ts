import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { locales, MESSAGE_KEYS, t } from "../src/i18n/index.js";

describe("locales", () => {
  it("ships 36 locales", () => {
    expect(locales()).toHaveLength(36);
  });

  it.each(locales())("%s defines every key and keeps placeholders", (locale) => {
    const file = join(__dirname, "../src/i18n/locales", `${locale}.json`);
    const catalogue = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    expect(Object.keys(catalogue).sort()).toEqual([...MESSAGE_KEYS].sort());
    expect(catalogue["export.rateLimited"]).toContain("{seconds}");
  });
});

describe("t", () => {
  it("falls back to the language, then to English", () => {
    expect(t("fr-CA", "export.button")).toBe("Exporter en CSV");
    expect(t("xx", "export.button")).toBe("Export as CSV");
  });

  it("fills placeholders", () => {
    expect(t("en", "export.rateLimited", { seconds: "30" })).toBe(
      "Too many exports. Try again in 30 s.",
    );
  });
});
