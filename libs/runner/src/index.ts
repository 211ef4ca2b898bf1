export { createAgent, type Agent, type AgentState } from './agent';
export { AGENT_DEFAULTS, type AgentIdentity, type AgentOptions } from './options';
export type { RunnerLogger } from './logger';
export type { Clock } from './clock';
export type { ActiveRunInfo } from './scheduling/dispatcher';
export { InvalidAgentOptionsError, RunnerError, StateFileError, type RunnerErrorCode } from './errors';
export { signHook } from './steps/hook';
export type { HookPayload, HookStep } from './steps/hook-payload';
