import { v4, v5 } from 'uuid';

/** Fixed namespace for name-based (v5) ids: the same name always gives the same id, across processes. */
const namespace = '6f1d3c5e-0b7a-4c58-9f4e-2f1d2a7c9b10';

export const newId = (): string => v4();
export const deterministicId = (name: string): string => v5(name, namespace);
