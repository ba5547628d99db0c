/** A small seeded PRNG (mulberry32): the same seed always gives the same catalog and the same fault draws. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(choices: readonly T[]): T;
  chance(probability: number): boolean;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (choices) => {
      if (choices.length === 0) throw new RangeError('pick from an empty list');
      return choices[Math.floor(next() * choices.length)] as (typeof choices)[number];
    },
    chance: (probability) => next() < probability,
  };
}

/** `count` distinct indexes below `size`, in the order drawn (all of them when count >= size). */
export function distinctIndexes(random: Random, size: number, count: number): number[] {
  if (count >= size) return Array.from({ length: size }, (_, i) => i);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(random.int(0, size - 1));
  return [...chosen];
}

/** Rounds to cents, the way prices are kept. */
export function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A shelf price between min and max, ending in .99, .95 or .00 like real price tags. */
export function shelfPrice(random: Random, min: number, max: number): number {
  const rand = Math.floor(min + random.next() * (max - min));
  return cents(rand + random.pick([0.99, 0.99, 0.95, 0]));
}
