import type { ConfigSection } from '../config/loadConfig.ts';

/** The queues a job section serves (its `queues` key, comma-separated); 'default' when it names none. */
export function sectionQueues(section: ConfigSection): string[] {
  const queues = section.list('queues');
  return queues.length > 0 ? [...new Set(queues)] : ['default'];
}
