/**
 * Option objects that merge over defaults. An app compiled with `exactOptionalPropertyTypes`
 * writes `{ baseMs: config.baseMs }` where the value may be undefined; carewire reads such a
 * key as left out, so an explicit `undefined` never overrides a default.
 */

/** Every key optional, and `undefined` allowed wherever a key may be left out. */
export type Settings<T> = { readonly [K in keyof T]?: T[K] | undefined };

/**
 * The keys that hold a value (of `keys` only, when given: options that carry more than these
 * settings): spread over defaults, an undefined one keeps the default.
 */
export function definedOf<T extends object>(settings: Settings<T> | undefined, keys?: ReadonlyArray<keyof T>): Partial<T> {
  const defined: Partial<T> = {};
  if (settings === undefined) return defined;
  for (const key of keys ?? (Object.keys(settings) as Array<keyof T>)) if (settings[key] !== undefined) defined[key] = settings[key] as T[keyof T];
  return defined;
}
