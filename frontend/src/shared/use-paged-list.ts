import { reactive, ref, type Ref, type UnwrapRef } from 'vue';

import { unexpectedError } from './unexpected-error';

export interface Page<T> {
  items: T[];
  total: number;
}

export interface PagedList<T, F> {
  items: Ref<T[]>;
  total: Ref<number>;
  page: Ref<number>;
  pageSize: Ref<number>;
  filters: UnwrapRef<F>;
  loading: Ref<boolean>;
  /** Fetches the current page with the current filters. */
  load: () => Promise<void>;
  /** Goes back to the first page and fetches it, after a filter changed. */
  search: () => Promise<void>;
}

/**
 * Keeps one page of an API list with its filters. Concurrent loads are allowed, and only the response to
 * the latest one is kept, so fast typing in a search box never shows an older result last.
 */
export function usePagedList<T, F extends object>(
  fetchPage: (query: { page: number; pageSize: number; filters: UnwrapRef<F> }) => Promise<Page<T>>,
  initialFilters: F,
  initialPageSize = 50,
): PagedList<T, F> {
  const items = ref<T[]>([]) as Ref<T[]>;
  const total = ref(0);
  const page = ref(1);
  const pageSize = ref(initialPageSize);
  const filters = reactive(initialFilters) as UnwrapRef<F>;
  const loading = ref(false);
  let latest = 0;

  async function load(): Promise<void> {
    const request = ++latest;
    loading.value = true;
    try {
      const result = await fetchPage({ page: page.value, pageSize: pageSize.value, filters });
      if (request === latest) {
        items.value = result.items;
        total.value = result.total;
      }
    } catch (error: unknown) {
      unexpectedError(error);
    } finally {
      if (request === latest) {
        loading.value = false;
      }
    }
  }

  async function search(): Promise<void> {
    page.value = 1;
    await load();
  }

  return { items, total, page, pageSize, filters, loading, load, search };
}

/** A query without its empty values: what `compactQuery` returns. */
export type CompactQuery<Q> = { [K in keyof Q]?: Exclude<Q[K], '' | null | undefined> };

/** Drops empty strings and nulls from a query object, because the API rejects empty filter values. */
export function compactQuery<Q extends object>(query: Q): CompactQuery<Q> {
  const compact: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value !== '' && value !== null && value !== undefined) {
      compact[key] = value;
    }
  }

  return compact as CompactQuery<Q>;
}
