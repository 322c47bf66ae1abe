/**
 * The daemon's event stream (`GET /events`): every lifecycle change is published here, kept in a
 * bounded ring for `since` queries, and fanned out to live subscribers with their filters.
 */
import { EventEmitter } from 'node:events';
import { nowNs } from '../util/time.js';

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config' | 'builder';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** Docker's `filters` map: every key must match one of its values. */
export type EventFilters = Record<string, string[]>;

function matchesOne(values: string[] | undefined, candidates: Array<string | undefined>): boolean {
  if (!values || values.length === 0) return true;
  return values.some((v) => candidates.some((c) => c !== undefined && c === v));
}

export function eventMatches(e: EngineEvent, f: EventFilters): boolean {
  const attrs = e.Actor.Attributes;
  if (!matchesOne(f.type, [e.Type])) return false;
  if (!matchesOne(f.event, [e.Action, e.Action.split(':')[0]])) return false;
  if (f.container?.length) {
    if (e.Type !== 'container') return false;
    if (!f.container.some((c) => c === attrs.name || (c.length > 0 && e.Actor.ID.startsWith(c)))) return false;
  }
  if (f.image?.length) {
    const img = e.Type === 'image' ? [e.Actor.ID, attrs.name] : [attrs.image];
    if (!matchesOne(f.image, img)) return false;
  }
  if (f.label?.length) {
    for (const l of f.label) {
      const eq = l.indexOf('=');
      if (eq < 0 ? !(l in attrs) : attrs[l.slice(0, eq)] !== l.slice(eq + 1)) return false;
    }
  }
  return true;
}

export class EventBus {
  private readonly ring: EngineEvent[] = [];
  private readonly emitter = new EventEmitter();

  constructor(private readonly capacity = 1024) {
    this.emitter.setMaxListeners(0);
  }

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    // Monotonic, so events keep their order in `since`/`until` windows and in timeNano.
    const now = nowNs();
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(now / 1_000_000_000n),
      timeNano: Number(now),
    };
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.shift();
    this.emitter.emit('event', e);
    return e;
  }

  /** Past events with `time` in [sinceNs, untilNs]. */
  history(sinceNs: number, untilNs: number = Number.POSITIVE_INFINITY): EngineEvent[] {
    return this.ring.filter((e) => e.timeNano >= sinceNs && e.timeNano <= untilNs);
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
