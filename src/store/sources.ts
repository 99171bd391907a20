/** `["notes/today", "notes/work", "photos/2026"]` (sorted) → `{notes: ["today", "work"], photos: ["2026"]}`. */
export function groupByNamespace(endpoints: Iterable<string>): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const endpoint of endpoints) {
    const slash = endpoint.indexOf('/');
    (result[endpoint.slice(0, slash)] ??= []).push(endpoint.slice(slash + 1));
  }
  return result;
}
