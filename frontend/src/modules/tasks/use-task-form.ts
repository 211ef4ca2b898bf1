import { reactive, ref } from 'vue';

import { api, ApiError, type Schemas, unwrap } from '../../api/client';
import { unexpectedError } from '../../shared/unexpected-error';
import { emptyTaskDraft, toTaskConfig, toTaskDraft, type TaskDraft } from './task-draft';

type Task = Schemas['TaskDto'];

/** Loads, edits, saves and deletes one task, with the pipelines that use it. */
export function useTaskForm() {
  const task = ref<Task | null>(null);
  const draft = reactive<TaskDraft>(emptyTaskDraft());
  const usage = ref<Schemas['TaskUsageDto'][]>([]);
  const loading = ref(false);
  const saving = ref(false);
  /** Field errors from the API, by field (`name`, `config.url` …), and `_` for the message. */
  const serverErrors = ref<Record<string, string>>({});

  function setTask(next: Task): void {
    task.value = next;
    Object.assign(draft, toTaskDraft(next));
  }

  async function load(id: string | undefined): Promise<void> {
    serverErrors.value = {};
    if (id === undefined) {
      task.value = null;
      usage.value = [];
      Object.assign(draft, emptyTaskDraft());

      return;
    }

    loading.value = true;
    try {
      const [loaded, pipelines] = await Promise.all([
        unwrap(api.GET('/api/tasks/{id}', { params: { path: { id } } })),
        unwrap(api.GET('/api/tasks/{id}/pipelines', { params: { path: { id } } })),
      ]);
      setTask(loaded);
      usage.value = pipelines;
    } catch (error: unknown) {
      unexpectedError(error);
    } finally {
      loading.value = false;
    }
  }

  async function save(): Promise<Task | null> {
    saving.value = true;
    serverErrors.value = {};
    try {
      const body = {
        name: draft.name.trim(),
        description: draft.description,
        kind: draft.kind,
        config: toTaskConfig(draft),
      };
      const saved =
        task.value === null
          ? await unwrap(api.POST('/api/tasks', { body }))
          : await unwrap(api.PATCH('/api/tasks/{id}', { params: { path: { id: task.value.id } }, body }));
      setTask(saved);

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

  async function remove(): Promise<boolean> {
    if (task.value === null) {
      return false;
    }

    saving.value = true;
    try {
      await unwrap(api.DELETE('/api/tasks/{id}', { params: { path: { id: task.value.id } } }));

      return true;
    } catch (error: unknown) {
      unexpectedError(error);

      return false;
    } finally {
      saving.value = false;
    }
  }

  return { task, draft, usage, loading, saving, serverErrors, load, save, remove };
}
