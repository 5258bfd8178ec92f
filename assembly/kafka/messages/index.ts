// Per-API body decoding: the generated op table of the API version (null: nothing to read),
// walked into one generic Message. Each call reads the kept bytes with the cursor (already past
// the header) and returns Done, More (cursor short), Records (a records blob to summarise) or Bad.
import { Cursor } from "../cursor";
import { Frame, Verdict } from "../framer";
import { requestOps, responseOps } from "../generated/codec";
import { flexibleRequest, flexibleResponse } from "../header";
import { Exchange } from "../session";
import { Message } from "./message";
import { Walker } from "./walker";

export { Message, PartEntry, TopicEntry } from "./message";

export class RequestBody extends Message {}
export class ResponseBody extends Message {}

export const PRODUCE: i16 = 0;

const walker = new Walker();

/** The body to decode into: this frame's from an earlier pass, else the pooled exchange's, else new. */
function bodyFor<T extends Message>(current: T | null, spare: T | null): T {
  const b = current != null ? current : spare != null ? spare : instantiate<T>();
  b.reset();
  return b;
}

export function decodeRequestBody(c: Cursor, f: Frame, ex: Exchange): Verdict {
  const ops = requestOps(ex.apiKey, ex.apiVersion);
  if (ops == null) return Verdict.Done;
  const body = bodyFor<RequestBody>(ex.request, ex.spareRequest);
  ex.request = body;
  const v = walker.walk(c, f, ops, ex.apiVersion, flexibleRequest(ex.apiKey, ex.apiVersion), body);
  // acks=0: the broker sends no response; known as soon as acks is read.
  if (ex.apiKey == PRODUCE && body.acks == 0) ex.expectsResponse = false;
  return v;
}

export function decodeResponseBody(c: Cursor, f: Frame, ex: Exchange): Verdict {
  const ops = responseOps(ex.apiKey, ex.apiVersion);
  if (ops == null) return Verdict.Done;
  const body = bodyFor<ResponseBody>(ex.response, ex.spareResponse);
  ex.response = body;
  return walker.walk(c, f, ops, ex.apiVersion, flexibleResponse(ex.apiKey, ex.apiVersion), body);
}
