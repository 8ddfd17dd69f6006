// `useDateObjects`: `i.date()` attributes of query results as `Date`s, which the official types
// promise and the official admin client (1.0.67) leaves as the stored strings or numbers.
// Which attributes are dates, and where each link leads, comes from the schema given to `init`.

// The date strings Instant accepts (the server's `parse-date-value`): ISO with a zone as the
// host reads it; without a zone it is UTC; `yyyy-MM-dd`, `M/d/yyyy` and `MM-dd-yyyy` are UTC
// midnights; anything else (RFC 1123, `Wed Jul 09 2025`) as the host's `Date` reads it.
const ymd = /^(\d+)[./-](\d+)[./-](\d+)$/;
const zoneless = /^\d+-\d+-\d+[T ]\d+(:\d+)*(\.\d+)?$/;
const toDate = (value) => {
  if (typeof value === 'number') return new Date(value);
  if (typeof value !== 'string') return value;
  const text = value.trim();
  const parts = text.match(ymd);
  const date = parts
    ? parts[1] > 999
      ? new Date(Date.UTC(parts[1], parts[2] - 1, parts[3]))
      : new Date(Date.UTC(parts[3], parts[1] - 1, parts[2]))
    : new Date(zoneless.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isNaN(date.getTime()) ? value : date;
};

/** `{ etype: { dates: Set<label>, links: { label: etype } } }` of a schema (built by `i` or JSON). */
const shape = (schema) => {
  const out = {};
  const of = (etype) => (out[etype] ||= { dates: new Set(), links: {} });
  for (const [etype, entity] of Object.entries(schema?.entities ?? {})) {
    for (const [label, attr] of Object.entries(entity?.attrs ?? {})) if (attr?.valueType === 'date') of(etype).dates.add(label);
  }
  for (const { forward, reverse } of Object.values(schema?.links ?? {})) {
    if (forward && reverse) {
      of(forward.on).links[forward.label] = reverse.on;
      of(reverse.on).links[reverse.label] = forward.on;
    }
  }
  return out;
};

/** A function converting a query result in place (and returning it), or `undefined` when no
 * attribute of the schema is a date. */
export const dateConverter = (schema) => {
  const etypes = shape(schema);
  if (!Object.values(etypes).some((e) => e.dates.size)) return undefined;
  const visit = (etype, rows) => {
    const known = etypes[etype];
    if (!known || rows == null) return;
    for (const row of Array.isArray(rows) ? rows : [rows]) {
      if (row === null || typeof row !== 'object') continue;
      for (const label of known.dates) if (label in row) row[label] = toDate(row[label]);
      for (const [label, target] of Object.entries(known.links)) if (label in row) visit(target, row[label]);
    }
  };
  return (result) => {
    if (result && typeof result === 'object') for (const [etype, rows] of Object.entries(result)) visit(etype, rows);
    return result;
  };
};
