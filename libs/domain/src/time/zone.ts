import { FixedOffsetZone, IANAZone, Zone, type ZoneOffsetFormat, type ZoneOffsetOptions } from 'luxon';

const DAY_MS = 86_400_000;
// Enough for years of distinct days per zone; the cache is only dropped when a replay spans more.
const MAX_CACHED_DAYS = 20_000;

/**
 * An IANA zone whose offsets are cached per UTC day. luxon asks `Intl` for the offset on every conversion, which
 * costs tens of microseconds and dominated the engine's time per event. A UTC day whose first and last
 * millisecond share an offset is taken to have that offset throughout (no zone changes its offset twice in one
 * day and back); a day with a transition is always computed exactly.
 */
class CachedOffsetZone extends Zone<true> {
  private readonly offsetByDay = new Map<number, number>();

  constructor(private readonly iana: IANAZone) {
    super();
  }

  override get type(): string {
    return 'iana';
  }

  override get name(): string {
    return this.iana.name;
  }

  override get isUniversal(): boolean {
    return false;
  }

  override get isValid(): true {
    return true;
  }

  override offsetName(ts: number, options: ZoneOffsetOptions): string {
    return this.iana.offsetName(ts, options) ?? this.iana.name;
  }

  override formatOffset(ts: number, format: ZoneOffsetFormat): string {
    return this.iana.formatOffset(ts, format);
  }

  override offset(ts: number): number {
    const day = Math.floor(ts / DAY_MS);
    const cached = this.offsetByDay.get(day);
    if (cached !== undefined) {
      return cached;
    }
    const atStart = this.iana.offset(day * DAY_MS);
    if (atStart !== this.iana.offset(day * DAY_MS + DAY_MS - 1)) {
      return this.iana.offset(ts);
    }
    if (this.offsetByDay.size >= MAX_CACHED_DAYS) this.offsetByDay.clear();
    this.offsetByDay.set(day, atStart);
    return atStart;
  }

  override equals(other: Zone): boolean {
    return other.type === 'iana' && other.name === this.name;
  }
}

const zones = new Map<string, Zone>();

/** The luxon zone for an IANA name (or UTC/GMT), shared and offset-cached. Throws on an unknown zone. */
export function zoneFor(name: string): Zone {
  let zone = zones.get(name);
  if (!zone) {
    if (/^(utc|gmt)$/i.test(name)) {
      zone = FixedOffsetZone.utcInstance;
    } else if (IANAZone.isValidZone(name)) {
      zone = new CachedOffsetZone(IANAZone.create(name));
    } else {
      throw new RangeError(`unknown IANA zone "${name}"`);
    }
    zones.set(name, zone);
  }
  return zone;
}
