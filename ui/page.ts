// A page of the dashboard: an element, a refresh (called on mount and on every auto refresh),
// and what to release when the user leaves it.
import type { Route } from "./route";

export interface Page {
  el: HTMLElement;
  refresh(): Promise<void>;
  destroy?(): void;
}

export type PageFactory = (r: Route) => Page;
