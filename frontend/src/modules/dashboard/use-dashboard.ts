import { onScopeDispose, ref } from 'vue';

import { api, type Schemas, unwrap } from '../../api/client';
import { useLiveEvent } from '../../live/use-live';
import { unexpectedError } from '../../shared/unexpected-error';

/** Shortest gap between two refreshes caused by live events; a busy instance sends many per second. */
const REFRESH_INTERVAL_MS = 2_000;

/** Loads the dashboard summary and refreshes it when runs or nodes change on the `dashboard` live room. */
export function useDashboard() {
  const summary = ref<Schemas['DashboardSummaryDto'] | null>(null);
  const loading = ref(false);
  let lastLoad = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;

  async function load(): Promise<void> {
    lastLoad = Date.now();
    loading.value = true;
    try {
      summary.value = await unwrap(api.GET('/api/dashboard/summary'));
    } catch (error: unknown) {
      unexpectedError(error);
    } finally {
      loading.value = false;
    }
  }

  /** Loads again at most once per interval, however many events arrive. */
  function scheduleRefresh(): void {
    if (pending !== undefined) {
      return;
    }

    const wait = Math.max(0, lastLoad + REFRESH_INTERVAL_MS - Date.now());
    pending = setTimeout(() => {
      pending = undefined;
      void load();
    }, wait);
  }

  useLiveEvent('dashboard', 'run', scheduleRefresh, scheduleRefresh);
  useLiveEvent('dashboard', 'node', scheduleRefresh);
  onScopeDispose(() => clearTimeout(pending));

  return { summary, loading, load };
}
