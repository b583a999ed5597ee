import { describe, expect, it } from "vitest";

import { csvField, toCsv } from "../src/lib/csv.js";

describe("csvField", () => {
  it("quotes commas, quotes and line breaks", () => {
    expect(csvField('tomatoes, "San Marzano"')).toBe('"tomatoes, ""San Marzano"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
  });

  it("defuses spreadsheet formulas", () => {
    expect(csvField("=HYPERLINK(\"x\")")).toBe("\"'=HYPERLINK(\"\"x\"\")\"");
    expect(csvField("-5")).toBe("'-5");
  });
});

describe("toCsv", () => {
  it("writes a header and CRLF line ends", () => {
    const csv = toCsv([
      { id: "1", name: "oats", quantity: 2, unit: "kg", expiresOn: null, location: "pantry" },
    ]);
    expect(csv).toBe("name,quantity,unit,expires_on,location\r\noats,2,kg,,pantry\r\n");
  });
});
