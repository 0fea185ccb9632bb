// Messages between the host page (embed.js) and the importer iframe. Both
// sides check the sender's origin and window before reading a message; every
// message carries the channel id the loader put in the iframe URL so that two
// importers open on one page never read each other's messages.

/** Prefix of every message type, so foreign postMessage traffic is ignored cheaply. */
export const MESSAGE_PREFIX = "intake:";

/** Options the host passes to Intake.open that the iframe needs. */
export interface OpenOptions {
  user?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /**
   * The end user signed by the host app's backend (an HS256 JWT of {user,
   * metadata, exp} made with the importer's identity secret; docs/widget.md).
   * When given, the server takes user and metadata from it, not from the
   * unsigned fields above; an importer may require it.
   */
  identity?: string;
  locale?: string;
  theme?: Record<string, string>;
}

/** What onComplete receives once the server confirmed the import. */
export interface CompleteSummary {
  importId: string;
  rows: number;
  rowsWithErrors: number;
}

/** Rows handed to the host in client mode, in template column order. */
export interface ClientData {
  importId: string;
  columns: string[];
  rows: (string | null)[][];
}

/** Messages the iframe sends to the host. */
export type ToHost =
  | { type: "intake:ready"; channel: string }
  | { type: "intake:complete"; channel: string; summary: CompleteSummary }
  | { type: "intake:data"; channel: string; data: ClientData }
  | { type: "intake:error"; channel: string; code: string; message: string }
  | { type: "intake:close"; channel: string };

/** Messages the host sends to the iframe. */
export type ToFrame = { type: "intake:init"; channel: string; options: OpenOptions };
