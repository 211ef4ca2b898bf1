import { FINAL_RUN_STATUSES } from '@ects/domain';
import { computed, ref, toValue, watch, type MaybeRefOrGetter } from 'vue';

import { api, type Schemas, unwrap } from '../../api/client';
import { useLiveEvent } from '../../live/use-live';
import { unexpectedError } from '../../shared/unexpected-error';

type RunDetail = Schemas['RunDetailDto'];
type StepRun = Schemas['StepRunDto'];

/** Loads one run with its steps and keeps it current from the run's live room while it is going. */
export function useRun(runId: MaybeRefOrGetter<string>) {
  const run = ref<RunDetail | null>(null);
  const loading = ref(false);
  const killing = ref(false);

  const finished = computed(() => run.value !== null && FINAL_RUN_STATUSES.includes(run.value.status));

  async function load(): Promise<void> {
    loading.value = true;
    try {
      run.value = await unwrap(api.GET('/api/runs/{id}', { params: { path: { id: toValue(runId) } } }));
    } catch (error: unknown) {
      unexpectedError(error);
    } finally {
      loading.value = false;
    }
  }

  function applyStep(step: StepRun): void {
    if (run.value === null) {
      return;
    }

    const steps = run.value.steps.filter((existing) => existing.position !== step.position);
    steps.push(step);
    steps.sort((a, b) => a.position - b.position);
    run.value = { ...run.value, steps };
  }

  /** Asks the run's node to kill it; the status changes when the agent reports back. */
  async function kill(): Promise<boolean> {
    killing.value = true;
    try {
      const result = await unwrap(api.POST('/api/runs/{id}/kill', { params: { path: { id: toValue(runId) } } }));

      return result.requested;
    } catch (error: unknown) {
      unexpectedError(error);

      return false;
    } finally {
      killing.value = false;
    }
  }

  const room = computed(() => `run:${toValue(runId)}` as const);
  useLiveEvent(
    room,
    'run',
    (update) => {
      if (run.value !== null) {
        run.value = { ...run.value, ...update, steps: run.value.steps };
      }
    },
    () => void load(),
  );
  useLiveEvent(room, 'step', (event) => applyStep(event.step));

  watch(() => toValue(runId), load, { immediate: true });

  return { run, loading, killing, finished, load, kill };
}
