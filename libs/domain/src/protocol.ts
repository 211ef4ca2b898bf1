import type { Labels, OutputStream, PipelineSnapshot, RunStatus, RunTrigger, StepRunStatus, TaskKind } from './model';

/** Socket.IO namespace agents report to, authenticated with their node credential. */
export const AGENT_NAMESPACE = '/agents';
/** Socket.IO namespace browsers follow runs, nodes and the dashboard on, authenticated with their JWT. */
export const LIVE_NAMESPACE = '/live';

/** What an agent writes under `<ns>/nodes/<nodeId>`, bound to its lease. */
export interface NodeRegistration {
  nodeId: string;
  name: string;
  host: string;
  labels: Labels;
  version: string;
  os: string;
  /** When this agent process started, ISO 8601. */
  startedAt: string;
  maxConcurrentRuns: number;
  /** The agent's readiness, rewritten when it changes; absent from agents older than this field. */
  health?: NodeHealth;
}

/** State of one health check, in the shape @nestjs/terminus reports. */
export interface HealthCheckState {
  status: 'up' | 'down';
  message?: string;
}

/** An agent's readiness: `ok` when every check is up, `error` otherwise. */
export interface NodeHealth {
  status: 'ok' | 'error';
  details: Record<string, HealthCheckState>;
  /** When the agent last saw this state change, ISO 8601. */
  since: string;
}

/** POST /api/agents/enroll: an agent joins with an enrollment token created by an admin. */
export interface EnrollRequest {
  token: string;
  name: string;
  host: string;
  labels: Labels;
  os: string;
  version: string;
}

export interface EnrollResponse {
  nodeId: string;
  name: string;
  /** Secret the agent presents to the `/agents` namespace; shown only in this response. */
  credential: string;
}

/** Handshake `auth` of an agent's Socket.IO connection. */
export interface AgentAuth {
  nodeId: string;
  credential: string;
}

/** A task as a step run records it: what ran, with secrets masked. */
export interface TaskRecord {
  id: string;
  name: string;
  kind: TaskKind;
  config: Record<string, unknown>;
}

export type StepRole = 'step' | 'on_success' | 'on_failure';

export interface StepPlan {
  position: number;
  role: StepRole;
  task: TaskRecord;
}

export interface OutputChunk {
  /** Order of the chunk within its step, from 0, without gaps. */
  sequence: number;
  stream: OutputStream;
  data: string;
}

export interface RunStartedEvent {
  type: 'run.started';
  runId: string;
  pipelineId: string;
  pipelineName: string;
  pipelineVersion: number;
  trigger: RunTrigger;
  triggeredBy: string | null;
  /** Nominal fire time for scheduled runs, request time otherwise. */
  scheduledAt: string;
  startedAt: string;
  /** The pipeline's steps; an on-success or on-failure task is announced by its step.started. */
  steps: StepPlan[];
}

export interface StepStartedEvent {
  type: 'step.started';
  runId: string;
  position: number;
  /** 1 for the first attempt. */
  attempt: number;
  startedAt: string;
  /** Set for steps that run.started did not plan: the on-success or on-failure task. */
  plan?: StepPlan;
}

export interface StepOutputEvent {
  type: 'step.output';
  runId: string;
  position: number;
  chunks: OutputChunk[];
}

export interface StepFinishedEvent {
  type: 'step.finished';
  runId: string;
  position: number;
  status: StepRunStatus;
  attempts: number;
  exitCode: number | null;
  httpStatus: number | null;
  errorMessage: string | null;
  finishedAt: string;
  /** Bytes of output the step produced, whether or not all of it was sent. */
  outputBytes: number;
}

export interface RunFinishedEvent {
  type: 'run.finished';
  runId: string;
  status: RunStatus;
  finishedAt: string;
  exitSummary: string | null;
}

export type AgentEvent = RunStartedEvent | StepStartedEvent | StepOutputEvent | StepFinishedEvent | RunFinishedEvent;

/** An event as spooled and sent: numbered per agent, so the API can acknowledge a prefix of the spool. */
export interface AgentEventEnvelope {
  /** Increases by one per event of this agent and survives restarts. */
  seq: number;
  event: AgentEvent;
}

/** Socket.IO event names of the `/agents` namespace. */
export const AGENT_EVENTS = {
  /** Agent to API: a batch of spooled events; acknowledged with an AgentEventsAck. */
  events: 'events',
  /** Agent to API: send a mail through the API's SMTP settings; acknowledged with a MailResult. */
  sendMail: 'mail.send',
} as const;

export interface AgentEventsBatch {
  events: AgentEventEnvelope[];
}

/** Every event up to and including `ackedSeq` is stored and may leave the spool. */
export type AgentEventsAck = { ok: true; ackedSeq: number } | { ok: false; error: string };

export interface MailRequest {
  to: string[];
  cc?: string[];
  subject: string;
  body: string;
}

export type MailResult = { ok: true; messageId: string } | { ok: false; error: string };

/** Requests the API writes under `<ns>/commands/<nodeId>/<commandId>`; the agent deletes each once acted on. */
export type AgentCommand =
  | {
      type: 'run';
      commandId: string;
      /** Made by the API, so the caller gets the run id before the agent starts it. */
      runId: string;
      pipeline: PipelineSnapshot;
      trigger: Extract<RunTrigger, 'manual' | 'api'>;
      triggeredBy: string;
      requestedAt: string;
    }
  | { type: 'kill'; commandId: string; runId: string; requestedBy: string; requestedAt: string };

/** Socket.IO event names of the `/live` namespace. */
export const LIVE_EVENTS = {
  /** Browser to API: follow a room (`run:<id>`, `node:<id>` or `dashboard`); acknowledged with `{ ok }`. */
  join: 'join',
  leave: 'leave',
  /** API to browser: a run's status or fields changed. */
  run: 'run',
  /** API to browser: a step run changed. */
  step: 'step',
  /** API to browser: output of a step as it arrives. */
  output: 'output',
  /** API to browser: a node's status changed. */
  node: 'node',
} as const;
