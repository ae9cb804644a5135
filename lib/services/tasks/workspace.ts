/** The JSON object a multi-step job's tasks pass on to each other (job.workspace). */
export type Workspace = Record<string, unknown>;

/** A plain JSON object: not null, not an array. */
export function isWorkspace(value: unknown): value is Workspace {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy the code may change freely: what it does to it counts only once it is saved. */
export function copyWorkspace(workspace: Workspace | null | undefined): Workspace {
  return workspace ? (JSON.parse(JSON.stringify(workspace)) as Workspace) : {};
}

/**
 * The workspace after a task or hook: the object it returned, or else the copy it was given
 * (and may have changed in place). Anything else returned is a programming error.
 */
export function resultingWorkspace(given: Workspace, returned: unknown, who: string): Workspace {
  if (returned === undefined || returned === null) return given;
  if (!isWorkspace(returned)) throw new TypeError(`${who} returned ${Array.isArray(returned) ? 'an array' : typeof returned}; a task or hook returns nothing or the new workspace (a JSON object)`);
  return returned;
}
