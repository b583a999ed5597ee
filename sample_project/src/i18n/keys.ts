/** Every message key the UI and the export use; each locale file must define all of them. */
export const MESSAGE_KEYS = [
  "export.filename",
  "export.button",
  "export.empty",
  "export.rateLimited",
] as const;

export type MessageKey = (typeof MESSAGE_KEYS)[number];
