/** What the aggregate modules share about documents and queries. */

// strict 'throw': a misspelt field in an update or filter is a bug to hear about, not to ignore.
export const schemaOptions = { versionKey: false, strict: 'throw', strictQuery: 'throw', id: false } as const;

export const maybeDate = (d: Date | null | undefined): Date | null => (d == null ? null : new Date(d));

/** SQLite's `LIMIT take OFFSET skip`: a negative offset is 0, a negative limit is none. */
export function page(skip: number, take: number): { start: number; count: number | null } {
  return { start: Math.max(0, Math.trunc(skip) || 0), count: take < 0 ? null : Math.trunc(take) || 0 };
}
