import { CliError } from '../errors';
import type { ApiClient } from './client';
import type { NodeDto, PipelineDto, TaskDto } from './schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

interface Named {
  id: string;
  name: string;
}

/**
 * Finds one pipeline, task or node by exact name, or by id when the reference is a UUID. The list
 * search matches substrings, so the exact name is picked from its results.
 */
async function findByNameOrId<T extends Named>(
  client: ApiClient,
  collection: 'pipelines' | 'tasks' | 'nodes',
  reference: string,
): Promise<T> {
  if (isUuid(reference)) {
    return client.get<T>(`/api/${collection}/${reference}`);
  }

  const candidates = await client.listAll<T>(`/api/${collection}`, { search: reference });
  const found = candidates.find((candidate) => candidate.name === reference);
  if (!found) {
    const singular = collection.slice(0, -1);
    const similar = candidates.slice(0, 5).map((candidate) => candidate.name);
    throw new CliError(
      'NOT_FOUND',
      `No ${singular} is named "${reference}"` +
        (similar.length > 0 ? `; similar names: ${similar.join(', ')}` : `; list them with ectsctl get ${collection}`),
    );
  }

  return found;
}

export function findPipeline(client: ApiClient, reference: string): Promise<PipelineDto> {
  return findByNameOrId<PipelineDto>(client, 'pipelines', reference);
}

export function findTask(client: ApiClient, reference: string): Promise<TaskDto> {
  return findByNameOrId<TaskDto>(client, 'tasks', reference);
}

export function findNode(client: ApiClient, reference: string): Promise<NodeDto> {
  return findByNameOrId<NodeDto>(client, 'nodes', reference);
}
