import type { ExecutionMode, MisfirePolicy, OverlapPolicy } from '@ects/domain';
import { reactive, ref } from 'vue';

import { api, ApiError, type Schemas, unwrap } from '../../api/client';
import { unexpectedError } from '../../shared/unexpected-error';
import { emptyStep, toDraft, toStepInput, type StepDraft } from './steps';

type Pipeline = Schemas['PipelineDto'];

/** The editable fields of a pipeline; '' stands for "no task" in the on-success and on-failure choices. */
export interface PipelineDraft {
  name: string;
  description: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  mode: ExecutionMode;
  overlap: OverlapPolicy;
  misfire: MisfirePolicy;
  timeoutSeconds: number;
  onSuccessTaskId: string;
  onFailureTaskId: string;
  nodeIds: string[];
  nodeSelector: Record<string, string>;
  steps: StepDraft[];
}

function emptyDraft(): PipelineDraft {
  return {
    name: '',
    description: '',
    cron: '*/5 * * * *',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    enabled: true,
    mode: 'all',
    overlap: 'skip',
    misfire: 'skip',
    timeoutSeconds: 0,
    onSuccessTaskId: '',
    onFailureTaskId: '',
    nodeIds: [],
    nodeSelector: {},
    steps: [emptyStep()],
  };
}

function toPipelineDraft(pipeline: Pipeline): PipelineDraft {
  return {
    name: pipeline.name,
    description: pipeline.description,
    cron: pipeline.cron,
    timezone: pipeline.timezone,
    enabled: pipeline.enabled,
    mode: pipeline.mode,
    overlap: pipeline.overlap,
    misfire: pipeline.misfire,
    timeoutSeconds: pipeline.timeoutSeconds,
    onSuccessTaskId: pipeline.onSuccessTaskId ?? '',
    onFailureTaskId: pipeline.onFailureTaskId ?? '',
    nodeIds: [...pipeline.nodeIds],
    nodeSelector: { ...(pipeline.nodeSelector ?? {}) },
    steps: pipeline.steps.map(toDraft),
  };
}

function toBody(draft: PipelineDraft): Schemas['CreatePipelineDto'] {
  return {
    name: draft.name.trim(),
    description: draft.description,
    cron: draft.cron.trim(),
    timezone: draft.timezone,
    enabled: draft.enabled,
    mode: draft.mode,
    overlap: draft.overlap,
    misfire: draft.misfire,
    timeoutSeconds: draft.timeoutSeconds,
    onSuccessTaskId: draft.onSuccessTaskId === '' ? null : draft.onSuccessTaskId,
    onFailureTaskId: draft.onFailureTaskId === '' ? null : draft.onFailureTaskId,
    nodeIds: draft.nodeIds,
    nodeSelector: Object.keys(draft.nodeSelector).length === 0 ? null : draft.nodeSelector,
    steps: draft.steps.map(toStepInput),
  };
}

/** Loads, edits and saves one pipeline, plus the tasks and nodes its fields choose from. */
export function usePipelineForm() {
  const pipeline = ref<Pipeline | null>(null);
  const draft = reactive<PipelineDraft>(emptyDraft());
  const tasks = ref<Schemas['TaskDto'][]>([]);
  const nodes = ref<Schemas['NodeDto'][]>([]);
  const loading = ref(false);
  const saving = ref(false);
  const acting = ref(false);
  /** Field errors from the API, by field name (`cron`, `name`, `steps.0.taskId` …). */
  const serverErrors = ref<Record<string, string>>({});

  function setPipeline(next: Pipeline): void {
    pipeline.value = next;
    Object.assign(draft, toPipelineDraft(next));
  }

  async function load(id: string | undefined): Promise<void> {
    loading.value = true;
    try {
      // NOTE: the choices hold the first 200 tasks and nodes by name, the most one API page returns.
      const [taskPage, nodePage, loaded] = await Promise.all([
        unwrap(api.GET('/api/tasks', { params: { query: { pageSize: 200 } } })),
        unwrap(api.GET('/api/nodes', { params: { query: { pageSize: 200 } } })),
        id === undefined ? null : unwrap(api.GET('/api/pipelines/{id}', { params: { path: { id } } })),
      ]);
      tasks.value = taskPage.items;
      nodes.value = nodePage.items;
      if (loaded === null) {
        pipeline.value = null;
        Object.assign(draft, emptyDraft());
      } else {
        setPipeline(loaded);
      }
    } catch (error: unknown) {
      unexpectedError(error);
    } finally {
      loading.value = false;
    }
  }

  /** Creates or updates the pipeline; returns the saved one, or null when the API rejected it. */
  async function save(): Promise<Pipeline | null> {
    saving.value = true;
    serverErrors.value = {};
    try {
      const body = toBody(draft);
      const saved =
        pipeline.value === null
          ? await unwrap(api.POST('/api/pipelines', { body }))
          : await unwrap(api.PATCH('/api/pipelines/{id}', { params: { path: { id: pipeline.value.id } }, body }));
      setPipeline(saved);

      return saved;
    } catch (error: unknown) {
      if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
        serverErrors.value = { ...error.fieldErrors(), _: error.message };
      } else {
        unexpectedError(error);
      }

      return null;
    } finally {
      saving.value = false;
    }
  }

  async function setEnabled(enabled: boolean): Promise<void> {
    if (pipeline.value === null) {
      return;
    }

    acting.value = true;
    try {
      const path = { id: pipeline.value.id };
      const updated = enabled
        ? await unwrap(api.POST('/api/pipelines/{id}/enable', { params: { path } }))
        : await unwrap(api.POST('/api/pipelines/{id}/disable', { params: { path } }));
      pipeline.value = updated;
      draft.enabled = updated.enabled;
    } catch (error: unknown) {
      unexpectedError(error);
    } finally {
      acting.value = false;
    }
  }

  async function remove(): Promise<boolean> {
    if (pipeline.value === null) {
      return false;
    }

    acting.value = true;
    try {
      await unwrap(api.DELETE('/api/pipelines/{id}', { params: { path: { id: pipeline.value.id } } }));

      return true;
    } catch (error: unknown) {
      unexpectedError(error);

      return false;
    } finally {
      acting.value = false;
    }
  }

  return { pipeline, draft, tasks, nodes, loading, saving, acting, serverErrors, load, save, setEnabled, remove };
}
