/**
 * What carewire's PostgreSQL stores share when they make their own tables: the schema name
 * they put in SQL, and a table made once however many instances start at the same moment.
 */

/** A schema name written into SQL as it is (quoted): letters, digits and underscores, as PostgreSQL's plain identifiers. */
export function isPlainIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name);
}

/**
 * `create` (IF NOT EXISTS statements) run once for every caller. Instances starting at once
 * race past IF NOT EXISTS (a duplicate catalog row, 23505, or the table already there,
 * 42P07); the winner has committed by then, so asking once more finds everything made. A
 * failure is forgotten: the next call tries again.
 */
export function createdOnce(create: () => Promise<unknown>): () => Promise<void> {
  let made: Promise<void> | undefined;
  return () =>
    (made ??= create()
      .catch((error: { code?: unknown }) => (error.code === "23505" || error.code === "42P07" ? create() : Promise.reject(error)))
      .then(
        () => undefined,
        (error: unknown) => {
          made = undefined;
          throw error;
        },
      ));
}
