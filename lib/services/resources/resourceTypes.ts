import type { EntityManager } from 'typeorm';
import { UnknownResourceType } from './errors.ts';

/**
 * A kind of resource that jobs operate on (Cast's ResourceManager): it answers from the
 * application's own tables, in the transaction it is given.
 */
export interface ResourceType<State = unknown> {
  /** The job.resource_type value, e.g. 'instance'. */
  readonly name: string;
  /** For messages: "Instance 'foo' does not exist." */
  readonly title: string;
  exists(name: string, manager: EntityManager): Promise<boolean>;
  /** The resource's state, or undefined when it does not exist. */
  read(name: string, manager: EntityManager): Promise<State | undefined>;
  /** Every resource of the type, each with its name (sorted by name by listResources()). */
  list(manager: EntityManager): Promise<Array<State & { name: string }>>;
}

/** Resource types by name (Cast's JobManager, where managers register). */
export class ResourceTypeRegistry {
  private readonly types = new Map<string, ResourceType<any>>();

  /** Register `type`; registering another type under a name already taken is an error. */
  register<State>(type: ResourceType<State>): ResourceType<State> {
    const known = this.types.get(type.name);
    if (known && known !== type) throw new Error(`a resource type '${type.name}' is already registered`);
    this.types.set(type.name, type);
    return type;
  }

  /** The registered type; UnknownResourceType otherwise. */
  get(name: string): ResourceType<any> {
    const type = this.types.get(name);
    if (!type) throw new UnknownResourceType(name, this.names());
    return type;
  }

  names(): string[] {
    return [...this.types.keys()].sort();
  }
}

/** The application's registry: resource types register in it when their module is loaded. */
export const resourceTypes = new ResourceTypeRegistry();

export function registerResourceType<State>(type: ResourceType<State>): ResourceType<State> {
  return resourceTypes.register(type);
}
