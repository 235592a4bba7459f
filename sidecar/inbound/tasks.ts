// Tasks (the tasks extension; experimental since 2025-11-25): a task id, like a session id,
// is a bearer of state on the server: whoever presents it can read the task's result or
// cancel it. So a task is bound to the principal whose call created it, and tasks/get,
// tasks/result, tasks/cancel (and any other tasks/* naming a taskId) from anyone else are
// refused with the same answer as an unknown task, so task ids cannot be probed. The tool
// behind a task is remembered too: a tool the policy denies now cannot be reached through a
// task created while it was allowed.
import type { JsonRpcMessage, JsonRpcRequest } from './jsonrpc.ts';
import { SessionRegistry, type SessionCheck } from './sessions.ts';

export interface TaskCheck {
  readonly verdict: SessionCheck;
  /** The tool whose call created the task, when known. */
  readonly tool: string | undefined;
}

export class TaskRegistry {
  readonly #owners = new SessionRegistry({ idleMs: 24 * 3_600_000, max: 100_000 });
  readonly #tools = new Map<string, string>();

  /** Binds the task a server message creates (a CreateTaskResult answering `request`) to `owner`. */
  bindFrom(message: JsonRpcMessage, request: JsonRpcRequest | undefined, owner: string, tool: string | undefined): void {
    const id = createdTaskId(message);
    if (id === undefined || request === undefined) return;
    this.#owners.bind(id, owner);
    if (tool !== undefined) {
      this.#tools.set(id, tool);
      while (this.#tools.size > 100_000) this.#tools.delete(this.#tools.keys().next().value!);
    }
  }

  check(taskId: string, owner: string): TaskCheck {
    const verdict = this.#owners.check(taskId, owner);
    return { verdict, tool: verdict === 'ok' ? this.#tools.get(taskId) : undefined };
  }
}

/** The taskId a tasks/* request addresses, if any. */
export function addressedTask(m: JsonRpcRequest): string | undefined {
  const id = m.params?.taskId;
  return m.method.startsWith('tasks/') && typeof id === 'string' ? id : undefined;
}

/** The id of the task a result creates: `{task: {taskId}}`, or a task-typed result carrying `taskId`. */
function createdTaskId(m: JsonRpcMessage): string | undefined {
  if (!('result' in m) || typeof m.result !== 'object' || m.result === null) return undefined;
  const r = m.result as { task?: { taskId?: unknown }; resultType?: unknown; taskId?: unknown };
  if (typeof r.task?.taskId === 'string') return r.task.taskId;
  return r.resultType === 'task' && typeof r.taskId === 'string' ? r.taskId : undefined;
}
