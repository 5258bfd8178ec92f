// Per-API body decoding: the generated op table of the API version (null: nothing to read),
// walked into one generic Message by the connection's walker. The first call of a frame starts
// the walk with the cursor past the header; later calls resume it. Each returns Done, More
// (cursor short), Records (a records blob to summarise) or Bad.
import { Cursor } from "../cursor";
import { Frame, Verdict } from "../framer";
import { requestOps, responseOps } from "../generated/codec";
import { flexibleRequest, flexibleResponse } from "../header";
import { Exchange } from "../session";
import { Message } from "./message";
import { Walker } from "./walker";

export { Message, PartEntry, TopicEntry } from "./message";
export { Walker } from "./walker";

export class RequestBody extends Message {}
export class ResponseBody extends Message {}

export const PRODUCE: i16 = 0;

/** The body to decode into: the pooled exchange's, else new. */
function bodyFor<T extends Message>(spare: T | null): T {
  const b = spare != null ? spare : instantiate<T>();
  b.reset();
  return b;
}

/** Walks a request body with the connection's walker: starts it, or resumes the walk in progress. */
export function decodeRequestBody(w: Walker, c: Cursor, f: Frame, ex: Exchange): Verdict {
  let v: Verdict;
  if (w.active) v = w.resume(c);
  else {
    const ops = requestOps(ex.apiKey, ex.apiVersion);
    if (ops == null) return Verdict.Done;
    const body = bodyFor<RequestBody>(ex.spareRequest);
    ex.request = body;
    v = w.start(c, f, ops, ex.apiVersion, flexibleRequest(ex.apiKey, ex.apiVersion), body);
  }
  // acks=0: the broker sends no response; known as soon as acks is read.
  if (ex.apiKey == PRODUCE && ex.request!.acks == 0) ex.expectsResponse = false;
  return v;
}

/** Walks a response body with the connection's walker: starts it, or resumes the walk in progress. */
export function decodeResponseBody(w: Walker, c: Cursor, f: Frame, ex: Exchange): Verdict {
  if (w.active) return w.resume(c);
  const ops = responseOps(ex.apiKey, ex.apiVersion);
  if (ops == null) return Verdict.Done;
  const body = bodyFor<ResponseBody>(ex.spareResponse);
  ex.response = body;
  return w.start(c, f, ops, ex.apiVersion, flexibleResponse(ex.apiKey, ex.apiVersion), body);
}
