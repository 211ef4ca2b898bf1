export type DiffKind = 'added' | 'removed' | 'changed' | 'same';

export interface DiffRow {
  /** Dotted path of the value, e.g. `steps.0.timeoutSeconds`. */
  path: string;
  kind: DiffKind;
  /** JSON text of the value before, or null when it did not exist. */
  before: string | null;
  after: string | null;
}

/** Flattens a JSON value into dotted paths and the JSON text of each leaf; empty objects and arrays are leaves. */
function flatten(value: unknown, prefix: string, into: Map<string, string>): void {
  const isContainer = typeof value === 'object' && value !== null;
  const entries = isContainer ? Object.entries(value as Record<string, unknown>) : [];
  if (!isContainer || entries.length === 0) {
    into.set(prefix === '' ? '(value)' : prefix, JSON.stringify(value));

    return;
  }

  for (const [key, item] of entries) {
    flatten(item, prefix === '' ? key : `${prefix}.${key}`, into);
  }
}

/**
 * Compares the state before and after a change, leaf by leaf, and returns one row per path in path
 * order. Unchanged rows are included so the caller can show them or not.
 */
export function diffJson(before: unknown, after: unknown): DiffRow[] {
  const left = new Map<string, string>();
  const right = new Map<string, string>();
  if (before !== null && before !== undefined) {
    flatten(before, '', left);
  }
  if (after !== null && after !== undefined) {
    flatten(after, '', right);
  }

  const paths = [...new Set([...left.keys(), ...right.keys()])].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );

  return paths.map((path) => {
    const was = left.get(path) ?? null;
    const now = right.get(path) ?? null;
    let kind: DiffKind = 'same';
    if (was === null) {
      kind = 'added';
    } else if (now === null) {
      kind = 'removed';
    } else if (was !== now) {
      kind = 'changed';
    }

    return { path, kind, before: was, after: now };
  });
}
