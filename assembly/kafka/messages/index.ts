// Per-API body decoding: which APIs have a decoder, and the dispatch to it.
// Each decoder reads the kept bytes with the cursor (already past the header) and returns
// Done, More (cursor short), Records (a records blob to summarise) or Bad.
import { Cursor } from "../cursor";
import { Frame, Verdict } from "../framer";
import { flexibleRequest } from "../header";
import { Exchange } from "../session";

export class RequestBody {}
export class ResponseBody {}

const PRODUCE: i16 = 0;

export function decodeRequestBody(c: Cursor, f: Frame, ex: Exchange): Verdict {
  if (ex.apiKey == PRODUCE) {
    const flex = flexibleRequest(ex.apiKey, ex.apiVersion);
    if (ex.apiVersion >= 3) c.skipStr(flex);
    const acks = c.i16();
    if (!c.ok) return Verdict.More;
    ex.expectsResponse = acks != 0;
  }
  return Verdict.Done;
}

export function decodeResponseBody(c: Cursor, f: Frame, ex: Exchange): Verdict {
  return Verdict.Done;
}
